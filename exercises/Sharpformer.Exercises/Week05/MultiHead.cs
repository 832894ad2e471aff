namespace Sharpformer.Exercises.Week05;

/// <summary>
/// Week 5: multi-head attention (docs/05). A model width D = heads·headSize is cut into heads that attend on their own
/// and are joined again. Arrays are row-major.
/// </summary>
public static class MultiHead
{
    /// <summary>[tokens, heads·headSize] → [heads, tokens, headSize]: head h takes columns h·headSize … (h + 1)·headSize − 1.</summary>
    public static float[] SplitHeads(float[] x, int tokens, int heads, int headSize) =>
        throw new NotImplementedException("Week 5: write SplitHeads (docs/05-attention.md, 'Multi-head attention')");

    /// <summary>[heads, tokens, headSize] → [tokens, heads·headSize], the inverse of <see cref="SplitHeads"/>.</summary>
    public static float[] MergeHeads(float[] x, int tokens, int heads, int headSize) =>
        throw new NotImplementedException("Week 5: write MergeHeads (docs/05-attention.md, 'Multi-head attention')");

    /// <summary>
    /// Self-attention of x: [tokens, model] with <paramref name="heads"/> heads and no biases or mask:
    /// Q = x·Wqᵀ, K = x·Wkᵀ, V = x·Wvᵀ (each W: [model, model]), each head's softmax(QKᵀ/√headSize)·V, the heads merged,
    /// then ·Woᵀ. Your week 1 MatMul and week 4 attention are the pieces.
    /// </summary>
    public static float[] SelfAttention(float[] x, float[] wq, float[] wk, float[] wv, float[] wo, int tokens, int model, int heads) =>
        throw new NotImplementedException("Week 5: write SelfAttention (docs/05-attention.md, 'Multi-head attention')");
}
