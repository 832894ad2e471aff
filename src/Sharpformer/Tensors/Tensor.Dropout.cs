using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1 − p), so the
    /// expected value is unchanged ("inverted" dropout). One draw from <paramref name="rng"/> keys the
    /// whole mask, which the backward pass regenerates instead of storing.
    /// </summary>
    public Tensor Dropout(float p, Rng rng)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability {p} must be in [0, 1)");
        if (p == 0f) return this;
        ulong key = rng.NextUInt64();
        var y = Contiguous().MaskedCopy(key, p);
        return Record(y, "Dropout", [this], g => [g.Contiguous().MaskedCopy(key, p)]);
    }

    // this (contiguous) with the dropout mask of key applied: a new tensor
    private Tensor MaskedCopy(ulong key, float p)
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        var job = new DropoutJob(Storage, Offset, y.Storage, key, p);
        ParallelRange.For(Length, ElementwiseGrain, ref job);
        return y;
    }

    private readonly struct DropoutJob(float[] src, int offset, float[] dst, ulong key, float p) : IRangeJob
    {
        public void Run(int start, int end) =>
            DropoutMask.Apply(src.AsSpan(offset + start, end - start), dst.AsSpan(start, end - start), key, start, p);
    }
}
