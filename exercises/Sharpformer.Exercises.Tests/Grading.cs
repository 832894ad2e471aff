using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>What every grader needs: seeded inputs, comparisons that name the first wrong element, finite differences.</summary>
internal static class Grading
{
    /// <summary><paramref name="count"/> seeded N(0, <paramref name="std"/>²) numbers.</summary>
    public static float[] Normal(int count, ulong seed, float std = 1f) => Tensor.Normal([count], new Rng(seed), 0, std).ToArray();

    /// <summary>
    /// Fails unless <paramref name="actual"/> has the length of <paramref name="expected"/> and every element is finite and
    /// within <paramref name="tolerance"/>·(1 + |expected|) of it.
    /// </summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} numbers returned, {expected.Length} expected");
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok = float.IsFinite(actual[i]) && Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i]));
            Assert.True(ok, $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>Compares against double-precision values (finite differences, formulas).</summary>
    public static void Close(double[] expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f) =>
        Close(expected.Select(e => (float)e).ToArray(), actual, what, tolerance);

    /// <summary>The gradient of <paramref name="f"/> at <paramref name="x"/> by central differences, in double precision.</summary>
    public static double[] NumericGradient(Func<double[], double> f, float[] x, double step = 1e-6)
    {
        var point = x.Select(v => (double)v).ToArray();
        var gradient = new double[point.Length];
        for (int i = 0; i < point.Length; i++)
        {
            double saved = point[i];
            point[i] = saved + step;
            double up = f(point);
            point[i] = saved - step;
            double down = f(point);
            point[i] = saved;
            gradient[i] = (up - down) / (2 * step);
        }
        return gradient;
    }

    /// <summary>Σ g[i]·y[i] in double: the loss whose gradient with respect to y is g.</summary>
    public static double Dot(float[] g, double[] y)
    {
        double total = 0;
        for (int i = 0; i < g.Length; i++) total += g[i] * y[i];
        return total;
    }
}
