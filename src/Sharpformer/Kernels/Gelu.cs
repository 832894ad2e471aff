using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>
/// GELU (Hendrycks &amp; Gimpel) and its derivative, 16 lanes at a time. The exact form is x·Φ(x) with
/// Φ(x) = ½·erfc(−x/√2), and erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2), P a degree-9 Chebyshev fit
/// (Numerical Recipes' erfcc) whose relative error stays below 1.2e-7 for every z ≥ 0, so the far negative
/// tail keeps its relative accuracy. The tanh form ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), is
/// computed as x·σ(2u), which has no cancellation for negative u.
/// </summary>
internal static class Gelu
{
    // x, y: [n]
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool tanh)
    {
        for (int i = 0; i < x.Length; i += 16)
        {
            int n = Math.Min(16, x.Length - i);
            var v = Load(x, i, n);
            Store(tanh ? v * SigmoidOfTwoU(v) : v * Cdf(v), y, i, n);
        }
    }

    // x, g, dx: [n]; dx = g·GELU'(x)
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx, bool tanh)
    {
        for (int i = 0; i < x.Length; i += 16)
        {
            int n = Math.Min(16, x.Length - i);
            var v = Load(x, i, n);
            Vector512<float> slope;
            if (tanh)
            {
                // d/dx x·σ(2u) = σ + x·σ(1 − σ)·2u′, u′ = √(2/π)(1 + 3·0.044715x²)
                var s = SigmoidOfTwoU(v);
                var du = Sqrt2OverPi * (One + Vector512.Create(3 * TanhCoefficient) * v * v);
                slope = s + v * s * (One - s) * (Vector512.Create(2f) * du);
            }
            else
            {
                // Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
                var (hi, lo) = HalfSquare(v);
                slope = Cdf(v) + v * Vector512.Exp(-hi) * Vector512.Exp(-lo) * InvSqrt2Pi;
            }
            Store(Load(g, i, n) * slope, dx, i, n);
        }
    }

    private static readonly Vector512<float> One = Vector512<float>.One;
    private static readonly Vector512<float> Half = Vector512.Create(0.5f);
    private static readonly Vector512<float> InvSqrt2 = Vector512.Create(0.70710678118654752f);
    private static readonly Vector512<float> InvSqrt2Pi = Vector512.Create(0.39894228040143268f);
    private static readonly Vector512<float> Sqrt2OverPi = Vector512.Create(0.79788456080286536f);
    private const float TanhCoefficient = 0.044715f;

    // P(t), lowest degree first.
    private static readonly float[] ErfcFit =
        [-1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
            0.27886807f, -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f];

    // Φ(x), the standard normal distribution function
    private static Vector512<float> Cdf(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * InvSqrt2;
        var t = One / (One + Half * z);
        var p = Vector512.Create(ErfcFit[^1]);
        for (int k = ErfcFit.Length - 2; k >= 0; k--) p = p * t + Vector512.Create(ErfcFit[k]);
        var (hi, lo) = HalfSquare(x);                                  // z² = x²/2 = hi + lo
        var halfErfc = Half * t * Vector512.Exp(-hi) * Vector512.Exp(p - lo);   // ½·erfc(|x|/√2) = Φ(−|x|)
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), One - halfErfc, halfErfc);
    }

    // x²/2 as hi + lo, hi the float product and lo its rounding error (a fused multiply-add recovers it), so
    // e^(−x²/2) = e^(−hi)·e^(−lo) keeps full relative accuracy even where x²/2 is large.
    private static (Vector512<float> Hi, Vector512<float> Lo) HalfSquare(Vector512<float> x)
    {
        var square = x * x;
        var error = Vector512.FusedMultiplyAdd(x, x, -square);
        return (Half * square, Half * error);
    }

    // σ(2u) = 1/(1 + e^(−2u)), u = √(2/π)(x + 0.044715x³)
    private static Vector512<float> SigmoidOfTwoU(Vector512<float> x)
    {
        var u = Sqrt2OverPi * (x + Vector512.Create(TanhCoefficient) * x * x * x);
        return One / (One + Vector512.Exp(Vector512.Create(-2f) * u));
    }

    private static Vector512<float> Load(ReadOnlySpan<float> source, int at, int count)
    {
        if (count == 16) return Vector512.Create(source.Slice(at, 16));
        Span<float> padded = stackalloc float[16];
        source.Slice(at, count).CopyTo(padded);
        return Vector512.Create<float>(padded);
    }

    private static void Store(Vector512<float> value, Span<float> destination, int at, int count)
    {
        if (count == 16)
        {
            value.CopyTo(destination.Slice(at, 16));
            return;
        }
        Span<float> padded = stackalloc float[16];
        value.CopyTo(padded);
        padded[..count].CopyTo(destination.Slice(at, count));
    }
}
