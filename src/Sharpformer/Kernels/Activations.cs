using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>Scalar activation functions and their derivatives (the GELU forms of Hendrycks &amp; Gimpel).</summary>
internal static class Activations
{
    /// <summary>ReLU's backward from its output: dx = y &gt; 0 ? g : 0.</summary>
    // y, g, dx: [n]
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx)
    {
        int i = 0;
        for (; i + 16 <= y.Length; i += 16)
        {
            var positive = Vector512.GreaterThan(Vector512.Create(y.Slice(i, 16)), Vector512<float>.Zero);
            Vector512.BitwiseAnd(Vector512.Create(g.Slice(i, 16)), positive).CopyTo(dx.Slice(i, 16));
        }
        for (; i < y.Length; i++) dx[i] = y[i] > 0 ? g[i] : 0f;
    }

    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;
    private const double Sqrt2OverPi = 0.79788456080286535588;
    private const double TanhCoefficient = 0.044715;

    /// <summary>GELU, exact form: x·Φ(x) = ½x·erfc(−x/√2).</summary>
    public static float Gelu(float x) => (float)(0.5 * x * Erfc(-x * InvSqrt2));

    /// <summary>d/dx of exact GELU: Φ(x) + x·φ(x).</summary>
    public static float GeluGrad(float x) => (float)(0.5 * Erfc(-x * InvSqrt2) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x));

    /// <summary>GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public static float GeluTanh(float x)
    {
        double u = Sqrt2OverPi * (x + TanhCoefficient * x * x * x);
        return (float)(0.5 * x * (1.0 + Math.Tanh(u)));
    }

    /// <summary>d/dx of the tanh-approximated GELU.</summary>
    public static float GeluTanhGrad(float x)
    {
        double u = Sqrt2OverPi * (x + TanhCoefficient * x * x * x);
        double t = Math.Tanh(u);
        double du = Sqrt2OverPi * (1.0 + 3.0 * TanhCoefficient * x * x);
        return (float)(0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
    }

    /// <summary>The error function, to double precision.</summary>
    public static double Erf(double x) => x < 0 ? -Erf(-x) : x < 3 ? ErfSeries(x) : 1.0 - ErfcContinuedFraction(x);

    /// <summary>The complementary error function 1 − erf(x), accurate in the far tail too.</summary>
    public static double Erfc(double x) => x < 3 ? 1.0 - Erf(x) : ErfcContinuedFraction(x);

    // erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): all terms positive, so no cancellation.
    private static double ErfSeries(double x)
    {
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200 && term > 1e-17 * sum; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from the bottom, for x ≥ 3.
    private static double ErfcContinuedFraction(double x)
    {
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + k * 0.5 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
