namespace Sharpformer.Exercises.Week04;

/// <summary>Week 4: scaled dot-product attention for one head (docs/05). Arrays are row-major.</summary>
public static class Attention
{
    /// <summary>
    /// softmax(Q·Kᵀ/√d + mask)·V for q: [queries, d], k: [keys, d], v: [keys, dv]. Returns the output
    /// [queries, dv] and the weights [queries, keys] (each row sums to 1). With <paramref name="causal"/> (queries =
    /// keys), query t may only attend to keys 0 … t. Subtract each row's maximum before exponentiating.
    /// </summary>
    public static (float[] Output, float[] Weights) ScaledDotProduct(float[] q, float[] k, float[] v, int queries, int keys, int d,
        int dv, bool causal) =>
        throw new NotImplementedException("Week 4: write ScaledDotProduct (docs/05-attention.md)");
}
