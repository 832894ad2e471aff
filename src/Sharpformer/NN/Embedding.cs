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

    /// <summary>
    /// The low-rank adapter of the table (ΔW = (α/r)·B·A, B: [count, r], A: [r, dim]) in a LoRA model, else null; with an
    /// output layer tied to the table it is that layer's adapter (<see cref="SequenceModel.AddLora"/>).
    /// </summary>
    public LoraAdapter? Lora { get; private set; }

    private bool _ownsLora;   // registered here (else another module holds it: the tied output layer, or the shared table)

    internal void UseLora(LoraAdapter adapter, bool owns)
    {
        if (Lora is not null) throw new InvalidOperationException("Embedding: the table has an adapter already");
        (Lora, _ownsLora) = (adapter, owns);
        if (owns) RegisterModule("", adapter);
    }

    // Adds the adapter's update into the table (if this module holds the adapter) and drops it.
    internal void MergeLora()
    {
        if (Lora is null) return;
        if (_ownsLora)
        {
            using (Autograd.GradMode.NoGrad()) Weight.CopyFrom(Weight + Lora.Delta());
            UnregisterModule(Lora);
        }
        Lora = null;
    }

    /// <summary>ids: [...] (whole numbers in [0, count)) → [..., dim].</summary>
    public Tensor Forward(Tensor ids)
    {
        int[] shape = [.. ids.Shape, Dim];
        if (Int8Weight is not { } table)
        {
            var indices = ids.Flatten();
            var looked = Weight.IndexSelect(0, indices);                              // [N, dim]
            if (Lora is { } adapter)   // + (α/r)·B[ids]·A, the looked-up rows of ΔW
                looked = looked + (adapter.B.Weight.IndexSelect(0, indices) * adapter.Scaling).MatMul(adapter.A.Weight);
            return looked.Reshape(shape);
        }
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
