using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week03;

/// <summary>Week 3 with the library plugged in.</summary>
public static class Embeddings
{
    /// <summary>The sinusoidal positional encoding [length, dim].</summary>
    public static float[] PositionalEncoding(int length, int dim) => new SinusoidalPositionalEncoding(dim, length).Table.ToArray();

    /// <summary>The backward of an embedding lookup, through the library's IndexSelect.</summary>
    public static float[] EmbeddingBackward(int[] ids, float[] gradOut, int vocab, int dim)
    {
        var table = Tensor.Zeros(vocab, dim).RequireGrad();
        table.IndexSelect(0, ids).Backward(Tensor.FromArray(gradOut, ids.Length, dim));
        return table.Grad!.ToArray();
    }
}
