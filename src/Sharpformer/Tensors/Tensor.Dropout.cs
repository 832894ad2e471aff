namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> (drawn from <paramref name="rng"/>) and
    /// scales the rest by 1/(1 − p), so the expected value is unchanged ("inverted" dropout).
    /// </summary>
    public Tensor Dropout(float p, Rng rng)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability {p} must be in [0, 1)");
        if (p == 0f) return this;
        float scale = 1f / (1f - p);
        var keep = new float[Length];
        for (int i = 0; i < keep.Length; i++) keep[i] = rng.NextFloat() < p ? 0f : scale;
        var mask = new Tensor(keep, (int[])_shape.Clone());
        return Record(Binary<Kernels.MulOp>(this, mask, "Dropout"), "Dropout", [this], g => [g.Mul(mask)]);
    }
}
