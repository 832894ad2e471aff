namespace Sharpformer.Exercises.Week09;

/// <summary>Week 9: the loss and the optimizer of the paper (docs/09). Arrays are row-major.</summary>
public static class Optimization
{
    /// <summary>
    /// The mean over rows of the label-smoothed cross-entropy of <paramref name="logits"/> [rows, classes] against
    /// <paramref name="targets"/> [rows]: (1 − ε)·(−log p_target) + ε·mean_c(−log p_c), with p = softmax(logits)
    /// (PyTorch's definition). Compute log p with the log-sum-exp trick.
    /// </summary>
    public static float CrossEntropy(float[] logits, int[] targets, int rows, int classes, float smoothing) =>
        throw new NotImplementedException("Week 9: write CrossEntropy with label smoothing (docs/09-training.md)");

    /// <summary>
    /// AdamW from <paramref name="initial"/> parameters, one step per entry of <paramref name="gradients"/> (each the
    /// gradient at that step): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p·(1 − lr·λ), then
    /// p ← p − lr·m̂ / (√v̂ + ε) with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), t = 1, 2, …
    /// Returns the parameters after the last step.
    /// </summary>
    public static float[] AdamW(float[] initial, float[][] gradients, float lr, float beta1, float beta2, float eps, float weightDecay) =>
        throw new NotImplementedException("Week 9: write AdamW (docs/09-training.md)");
}
