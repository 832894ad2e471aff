using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>A lookup table of learned vectors, one row per token id, as torch.nn.Embedding (initialized N(0, 1)).</summary>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="count"/> vectors of width <paramref name="dim"/>.</summary>
    public Embedding(int count, int dim, Rng rng)
    {
        Count = count;
        Dim = dim;
        Weight = RegisterParameter("weight", Tensor.Normal([count, dim], rng));
    }

    /// <summary>Number of rows (vocabulary size).</summary>
    public int Count { get; }

    /// <summary>Width of each vector.</summary>
    public int Dim { get; }

    /// <summary>The table: [count, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>ids: [...] (whole numbers in [0, count)) → [..., dim].</summary>
    public Tensor Forward(Tensor ids)
    {
        int[] shape = [.. ids.Shape, Dim];
        return Weight.IndexSelect(0, ids.Flatten()).Reshape(shape);
    }
}
