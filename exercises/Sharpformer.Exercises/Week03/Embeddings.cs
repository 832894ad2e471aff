namespace Sharpformer.Exercises.Week03;

/// <summary>Week 3: the input of the model, token embeddings plus positions (docs/04). Arrays are row-major.</summary>
public static class Embeddings
{
    /// <summary>
    /// The sinusoidal positional encoding [length, dim]: PE(p, 2i) = sin(p / 10000^(2i/dim)) and
    /// PE(p, 2i + 1) = cos(p / 10000^(2i/dim)). Compute the angle in double precision.
    /// </summary>
    public static float[] PositionalEncoding(int length, int dim) =>
        throw new NotImplementedException("Week 3: write PositionalEncoding (docs/04-embeddings-positions.md)");

    /// <summary>
    /// The backward of an embedding lookup out[t] = table[ids[t]]: given <paramref name="gradOut"/> = dL/dout
    /// [ids.Length, dim], return dL/dtable [vocab, dim]. A token that appears twice receives both rows' gradients.
    /// </summary>
    public static float[] EmbeddingBackward(int[] ids, float[] gradOut, int vocab, int dim) =>
        throw new NotImplementedException("Week 3: write EmbeddingBackward (docs/04-embeddings-positions.md)");
}
