using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A lookup table of learned vectors, one row per token id, as torch.nn.Embedding (initialized N(0, 1)). In a
/// quantized model the table is int8 with a scale per row (<see cref="Int8Weight"/>).
/// </summary>
public sealed class Embedding : Module
{
    private Tensor? _weight;

    /// <summary>A table of <paramref name="count"/> vectors of width <paramref name="dim"/>.</summary>
    public Embedding(int count, int dim, Rng rng)
    {
        Count = count;
        Dim = dim;
        _weight = RegisterParameter("weight", Tensor.Normal([count, dim], rng));
    }

    /// <summary>Number of rows (vocabulary size).</summary>
    public int Count { get; }

    /// <summary>Width of each vector.</summary>
    public int Dim { get; }

    /// <summary>The table: [count, dim].</summary>
    /// <exception cref="InvalidOperationException">The table is int8 (see <see cref="Int8Weight"/>).</exception>
    public Tensor Weight => _weight ?? throw Linear.Quantized("Embedding");

    /// <summary>The table as int8 with a scale per row in a quantized model, else null.</summary>
    public QuantizedMatrix? Int8Weight { get; private set; }

    /// <summary>ids: [...] (whole numbers in [0, count)) → [..., dim].</summary>
    public Tensor Forward(Tensor ids)
    {
        int[] shape = [.. ids.Shape, Dim];
        if (Int8Weight is not { } table) return Weight.IndexSelect(0, ids.Flatten()).Reshape(shape);
        var flat = ids.Flatten().ToArray();
        var rows = Tensor.Zeros(flat.Length, Dim);
        for (int i = 0; i < flat.Length; i++)
        {
            int id = (int)flat[i];
            if (id != flat[i] || id < 0 || id >= Count)
                throw new IndexOutOfRangeException($"Embedding: token {flat[i]} is out of range for a vocabulary of {Count}");
            table.DequantizeRow(id, rows.AsSpan().Slice(i * Dim, Dim));
        }
        return rows.Reshape(shape);
    }

    internal override void QuantizeOwnWeights(Func<Tensor, QuantizedMatrix> quantize)
    {
        if (_weight is null) return;
        Int8Weight = quantize(_weight);
        ReplaceWithInt8("weight", Int8Weight);
        _weight = null;
    }
}
