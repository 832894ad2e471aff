using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

/// <summary>The row operations of tiled attention against double-precision arithmetic, special values included.</summary>
public class TileRowsTests
{
    [Fact]
    public void ExponentialsAreWithinThreeTenMillionthsRelative()
    {
        var random = new Random(4);
        // Shifted scores as attention makes them (≤ 0), a few positive ones, and the edges of the float range.
        float[] row = [.. Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 100 - 90)), -87.3f, -87.4f, 88.3f, 0f, -0f];
        var expected = row.Select(x => Math.Exp(x - 0.5f)).ToArray();   // the shift is subtracted in float, as the kernel does

        double sum = TileRows.ExpShiftSum(row, 0.5f);

        for (int i = 0; i < row.Length; i++)
            Assert.True(expected[i] < 1e-37 ? row[i] == 0f || Math.Abs(row[i] - expected[i]) < 1e-37
                : Math.Abs(row[i] - expected[i]) <= 3e-7 * expected[i], $"exp({i}): {row[i]} vs {expected[i]}");
        Assert.Equal(expected.Sum(), sum, expected.Sum() * 1e-6);
    }

    [Fact]
    public void InfinitiesAndNaNKeepTheirMeaning()
    {
        float[] row = [float.NegativeInfinity, float.PositiveInfinity, float.NaN, -1000f, 1000f, .. new float[16]];
        TileRows.ExpShift(row, 0f);
        Assert.Equal(0f, row[0]);
        Assert.Equal(float.PositiveInfinity, row[1]);
        Assert.True(float.IsNaN(row[2]));
        Assert.Equal(0f, row[3]);
        Assert.Equal(float.PositiveInfinity, row[4]);
        Assert.All(row[5..], x => Assert.Equal(1f, x, 1.2e-7f));   // exp(0): exact with AVX-512, within an ulp through TensorPrimitives
    }

    [Fact]
    public void SoftmaxGradientIsPTimesTheCentredUpstream()
    {
        var random = new Random(5);
        float[] p = [.. Enumerable.Range(0, 37).Select(_ => (float)random.NextDouble())];
        float[] dS = [.. Enumerable.Range(0, 37).Select(_ => (float)(random.NextDouble() - 0.5))];
        var expected = dS.Select((g, i) => p[i] * (g - 0.25f)).ToArray();
        TileRows.SoftmaxGradient(dS, p, 0.25f);
        for (int i = 0; i < dS.Length; i++) Assert.Equal(expected[i], dS[i], 1e-7f);
    }

    [Fact]
    public void RowMaximumFindsTheLargestValueWhereverItSits()
    {
        var random = new Random(6);
        foreach (int length in new[] { 1, 15, 16, 17, 96, 100 })
        {
            for (int at = 0; at < length; at += Math.Max(1, length / 7))
            {
                float[] row = [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 20 - 30))];
                row[0] = float.NegativeInfinity;                              // a blocked key
                row[at] = 3.5f;
                Assert.Equal(3.5f, TileRows.Max(row));
            }
        }
        Assert.Equal(float.NegativeInfinity, TileRows.Max(Enumerable.Repeat(float.NegativeInfinity, 40).ToArray()));
    }
}
