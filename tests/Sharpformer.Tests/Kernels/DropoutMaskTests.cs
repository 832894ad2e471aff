using Sharpformer.Kernels;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Kernels;

public class DropoutMaskTests
{
    private static float[] Ramp(int n) => [.. Enumerable.Range(1, n).Select(i => (float)i)];

    [Fact]
    public void VectorPathKeepsExactlyTheElementsTheScalarRuleKeeps()
    {
        const ulong key = 0x1234_5678_9ABC_DEF0UL;
        const float p = 0.3f;
        var x = Ramp(1000);
        var y = new float[x.Length];
        DropoutMask.Apply(x, y, key, 0, p);
        uint threshold = DropoutMask.Threshold(p);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(DropoutMask.Keep(key, i, threshold) ? x[i] * (1f / (1 - p)) : 0f, y[i]);
    }

    [Fact]
    public void AnySplitOfTheRangeGivesTheSameMask()
    {
        const ulong key = 42;
        var x = Ramp(777);
        var whole = new float[x.Length];
        DropoutMask.Apply(x, whole, key, 0, 0.5f);
        var pieces = new float[x.Length];
        foreach (var (start, end) in new[] { (0, 5), (5, 300), (300, 301), (301, 777) })
            DropoutMask.Apply(x.AsSpan(start, end - start), pieces.AsSpan(start, end - start), key, start, 0.5f);
        Assert.Equal(whole, pieces);
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void TheKeptFractionIsOneMinusP(float p)
    {
        const int n = 200_000;
        var x = Enumerable.Repeat(1f, n).ToArray();
        var y = new float[n];
        DropoutMask.Apply(x, y, 7, 0, p);
        double kept = y.Count(v => v != 0) / (double)n;
        double sigma = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(kept, 1 - p - 5 * sigma, 1 - p + 5 * sigma);
        Assert.InRange(y.Average(), 1 - 5 * sigma / (1 - p), 1 + 5 * sigma / (1 - p));   // inverted dropout keeps the mean
    }

    [Fact]
    public void DifferentKeysGiveIndependentMasks()
    {
        var x = Enumerable.Repeat(1f, 100_000).ToArray();
        var a = new float[x.Length];
        var b = new float[x.Length];
        DropoutMask.Apply(x, a, 1, 0, 0.5f);
        DropoutMask.Apply(x, b, 2, 0, 0.5f);
        double both = Enumerable.Range(0, x.Length).Count(i => a[i] != 0 && b[i] != 0) / (double)x.Length;
        Assert.InRange(both, 0.24, 0.26);   // 0.25 if independent
    }

    [Fact]
    public void TensorDropoutBackwardUsesTheForwardMask()
    {
        var x = Tensor.FromArray(Ramp(5000), 50, 100).RequireGrad();
        var y = x.Dropout(0.4f, new Rng(3));
        y.Sum().Backward();
        var kept = y.ToArray().Select(v => v != 0).ToArray();
        var grad = x.Grad!.ToArray();
        for (int i = 0; i < kept.Length; i++) Assert.Equal(kept[i] ? 1f / 0.6f : 0f, grad[i], 6);
    }
}
