using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

public class GeluKernelTests
{
    [Fact]
    public void ReferenceErfMatchesTabulatedValues()
    {
        Assert.Equal(0.5204998778130465, ErfReference.Erf(0.5), 12);
        Assert.Equal(0.9953222650189527, ErfReference.Erf(2), 12);
        Assert.Equal(-0.9999779095030014, ErfReference.Erf(-3), 12);
        Assert.Equal(1.0, ErfReference.Erfc(4) / 1.541725790028002e-08, 10);
        Assert.Equal(1.0, ErfReference.Erfc(5) / 1.5374597944280349e-12, 10);
        Assert.Equal(1.0, ErfReference.Erfc(2.9) / 4.109787809945886e-05, 10);
    }

    // Every 0.001 in [−12, 12] (24,001 points: whole vectors and a ragged end).
    private static float[] Grid() => [.. Enumerable.Range(-12_000, 24_001).Select(i => i / 1000f)];

    // |actual − expected| ≤ relative·scale + floor (float cannot hold values much below 1e-35), scale being |expected|
    // unless a cancellation makes the terms larger
    private static void AssertClose(double expected, float actual, double relative, float x, string what, double? scale = null,
        double floor = 1e-35)
    {
        double error = Math.Abs(actual - expected);
        Assert.True(error <= relative * (scale ?? Math.Abs(expected)) + floor,
            $"{what} at x = {x}: {actual} vs {expected} (relative error {error / Math.Abs(expected):E2})");
    }

    [Fact]
    public void ExactGeluKeepsItsRelativeAccuracyIntoTheTails()
    {
        var x = Grid();
        var y = new float[x.Length];
        var dx = new float[x.Length];
        Gelu.Forward(x, y, tanh: false);
        Gelu.Backward(x, Enumerable.Repeat(1f, x.Length).ToArray(), dx, tanh: false);
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], cdf = ErfReference.Cdf(xi), pdf = Math.Exp(-0.5 * xi * xi) / Math.Sqrt(2 * Math.PI);
            AssertClose(xi * cdf, y[i], 2e-6, x[i], "GELU");
            // Φ + xφ cancels near x = −0.75, where the derivative crosses zero: the error scales with the terms
            AssertClose(cdf + xi * pdf, dx[i], 2e-6, x[i], "GELU'", scale: Math.Abs(cdf) + Math.Abs(xi * pdf));
        }
    }

    [Fact]
    public void TanhGeluMatchesItsFormula()
    {
        var x = Grid();
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var g = Enumerable.Repeat(2f, x.Length).ToArray();
        Gelu.Forward(x, y, tanh: true);
        Gelu.Backward(x, g, dx, tanh: true);
        double k = Math.Sqrt(2 / Math.PI), c = 0.044715;
        for (int i = 0; i < x.Length; i++)
        {
            // ½x(1 + tanh u) = x·σ(2u), and its derivative ½(1 + tanh u) + ½x(1 − tanh² u)·u′ = σ + x·σ(1 − σ)·2u′
            double xi = x[i], u = k * (xi + c * xi * xi * xi), s = 1 / (1 + Math.Exp(-2 * u));
            double value = xi * s;
            double slope = s + xi * s * (1 - s) * 2 * k * (1 + 3 * c * xi * xi);
            // far left, the float argument of e^(−2u) carries a few roundings of |2u| ≈ 70: up to 4·2⁻²⁴·|2u| relative
            double relative = 2e-6 + Math.Abs(2 * u) * 2.4e-7;
            AssertClose(value, y[i], relative, x[i], "tanh GELU");
            double terms = s + Math.Abs(xi * s * (1 - s) * 2 * k * (1 + 3 * c * xi * xi));
            AssertClose(2 * slope, dx[i], relative, x[i], "tanh GELU'", scale: 2 * terms);
        }
    }
}
