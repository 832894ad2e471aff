namespace Sharpformer.Exercises.Week06;

/// <summary>Week 6: layer normalization, forward and backward (docs/06). Arrays are row-major [rows, columns].</summary>
public static class LayerNorm
{
    /// <summary>
    /// Each row normalized to mean 0 and variance 1 (the biased variance, divided by columns, plus <paramref name="eps"/>
    /// under the square root), then scaled by <paramref name="gamma"/> and shifted by <paramref name="beta"/> ([columns] each).
    /// </summary>
    public static float[] Forward(float[] x, float[] gamma, float[] beta, int rows, int columns, float eps) =>
        throw new NotImplementedException("Week 6: write the layer norm's forward (docs/06-feedforward-layernorm.md)");

    /// <summary>
    /// dL/dx, dL/dγ and dL/dβ from <paramref name="gradOut"/> = dL/dy. Hint: with x̂ the normalized row and
    /// ĝ = γ ⊙ dL/dy, dL/dx = (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) / σ.
    /// </summary>
    public static (float[] GradX, float[] GradGamma, float[] GradBeta) Backward(float[] x, float[] gamma, float[] gradOut, int rows,
        int columns, float eps) =>
        throw new NotImplementedException("Week 6: write the layer norm's backward (docs/06-feedforward-layernorm.md)");
}
