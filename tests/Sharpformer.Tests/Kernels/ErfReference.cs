namespace Sharpformer.Tests.Kernels;

/// <summary>The error function to double precision, as the reference the fast GELU kernel is tested against.</summary>
internal static class ErfReference
{
    /// <summary>erf(x).</summary>
    public static double Erf(double x) => x < 0 ? -Erf(-x) : x < 3 ? ErfSeries(x) : 1.0 - ErfcContinuedFraction(x);

    /// <summary>erfc(x) = 1 − erf(x), accurate in the far tail too.</summary>
    public static double Erfc(double x) => x < 3 ? 1.0 - Erf(x) : ErfcContinuedFraction(x);

    /// <summary>Φ(x) = ½·erfc(−x/√2).</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

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

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + …))), evaluated from the bottom, for x ≥ 3.
    private static double ErfcContinuedFraction(double x)
    {
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + k * 0.5 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }
}
