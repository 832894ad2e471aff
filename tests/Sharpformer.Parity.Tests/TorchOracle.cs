using System.Globalization;
using System.Text;
using TorchSharp;
using Xunit.Sdk;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Moves data between Sharpformer (flat row-major arrays plus a shape) and libtorch tensors, and compares
/// results. PyTorch is the oracle: compute its side in float64 where the truth matters.
/// </summary>
public static class TorchOracle
{
    /// <summary>A libtorch tensor holding <paramref name="data"/> with <paramref name="shape"/>, as float32 or float64.</summary>
    public static TorchTensor ToTorch(float[] data, int[] shape, bool float64 = false, bool requiresGrad = false)
    {
        CheckCount(data.Length, shape);
        if (!float64)
            return torch.tensor(data, ToLongs(shape), torch.ScalarType.Float32, requires_grad: requiresGrad);
        var wide = new double[data.Length];
        for (int i = 0; i < data.Length; i++) wide[i] = data[i];
        return ToTorch(wide, shape, requiresGrad);
    }

    /// <summary>A float64 libtorch tensor holding <paramref name="data"/> with <paramref name="shape"/>.</summary>
    public static TorchTensor ToTorch(double[] data, int[] shape, bool requiresGrad = false)
    {
        CheckCount(data.Length, shape);
        return torch.tensor(data, ToLongs(shape), torch.ScalarType.Float64, requires_grad: requiresGrad);
    }

    /// <summary>An int64 libtorch tensor (indices for index_select / gather).</summary>
    public static TorchTensor ToTorch(long[] data, int[] shape)
    {
        CheckCount(data.Length, shape);
        return torch.tensor(data, ToLongs(shape), torch.ScalarType.Int64);
    }

    /// <summary>The tensor's elements in row-major order, converted to float32.</summary>
    public static float[] ToFloats(TorchTensor t)
    {
        if (t.numel() == 0) return []; // TorchSharp's accessor throws on empty tensors
        using var c = t.detach().to_type(torch.ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>The tensor's elements in row-major order, converted to float64.</summary>
    public static double[] ToDoubles(TorchTensor t)
    {
        if (t.numel() == 0) return []; // TorchSharp's accessor throws on empty tensors
        using var c = t.detach().to_type(torch.ScalarType.Float64).contiguous();
        return c.data<double>().ToArray();
    }

    /// <summary>The tensor's elements in row-major order, converted to int64 (for argmax and the like).</summary>
    public static long[] ToLongs(TorchTensor t)
    {
        if (t.numel() == 0) return []; // TorchSharp's accessor throws on empty tensors
        using var c = t.detach().to_type(torch.ScalarType.Int64).contiguous();
        return c.data<long>().ToArray();
    }

    /// <summary>The repository's root: the folder above the test assembly that holds Sharpformer.slnx.</summary>
    public static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Sharpformer.slnx"))) folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("Sharpformer.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The tensor's shape as ints.</summary>
    public static int[] ShapeOf(TorchTensor t) => t.shape.Select(d => checked((int)d)).ToArray();

    /// <summary>
    /// <paramref name="count"/> floats uniform in [<paramref name="low"/>, <paramref name="high"/>), reproducible
    /// from <paramref name="seed"/>.
    /// </summary>
    public static float[] RandomFloats(int seed, int count, float low = -1f, float high = 1f)
    {
        var rng = new Random(seed);
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = low + (high - low) * (float)rng.NextDouble();
        return data;
    }

    /// <summary>Number of elements of a shape (1 for a scalar's empty shape).</summary>
    public static int Count(int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n = checked(n * d);
        return n;
    }

    /// <summary>
    /// Asserts that every element satisfies |actual − expected| ≤ atol + rtol·|expected| (as torch.allclose), and
    /// that NaNs and infinities agree. On failure the message names <paramref name="what"/>, how many elements
    /// fail, and the largest absolute and relative errors with their indices and values.
    /// </summary>
    public static void AssertClose(double[] expected, float[] actual, double rtol, double atol, string what, int[]? shape = null)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} elements, got {actual.Length}");
        if (shape != null && Count(shape) != expected.Length)
            throw new XunitException($"{what}: shape [{string.Join(", ", shape)}] does not hold {expected.Length} elements");

        int failures = 0, firstFailure = -1, worstAbsAt = -1, worstRelAt = -1;
        double worstAbs = 0, worstRel = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok;
            double abs, rel;
            if (double.IsNaN(e) || double.IsNaN(a) || double.IsInfinity(e) || double.IsInfinity(a))
            {
                ok = e.Equals(a) || (double.IsNaN(e) && double.IsNaN(a));
                abs = rel = ok ? 0 : double.PositiveInfinity;
            }
            else
            {
                abs = Math.Abs(a - e);
                rel = e == 0 ? (abs == 0 ? 0 : double.PositiveInfinity) : abs / Math.Abs(e);
                ok = abs <= atol + rtol * Math.Abs(e);
            }
            if (!ok)
            {
                failures++;
                if (firstFailure < 0) firstFailure = i;
            }
            if (abs > worstAbs || worstAbsAt < 0) { worstAbs = abs; worstAbsAt = i; }
            if (rel > worstRel || worstRelAt < 0) { worstRel = rel; worstRelAt = i; }
        }
        if (failures == 0) return;

        var m = new StringBuilder();
        m.Append(CultureInfo.InvariantCulture, $"{what}: {failures} of {expected.Length} elements differ (rtol {rtol:G3}, atol {atol:G3})");
        if (shape != null) m.Append(CultureInfo.InvariantCulture, $", shape [{string.Join(", ", shape)}]");
        m.AppendLine();
        Describe(m, "max abs error", worstAbs, worstAbsAt, expected, actual, shape);
        Describe(m, "max rel error", worstRel, worstRelAt, expected, actual, shape);
        Describe(m, "first failure", Math.Abs(actual[firstFailure] - expected[firstFailure]), firstFailure, expected, actual, shape);
        throw new XunitException(m.ToString());
    }

    /// <summary>Compares against a libtorch result: shapes must match, then values as in the array overload.</summary>
    public static void AssertClose(TorchTensor expected, float[] actual, int[] actualShape, double rtol, double atol, string what)
    {
        int[] expectedShape = ShapeOf(expected);
        if (!expectedShape.SequenceEqual(actualShape))
            throw new XunitException(
                $"{what}: expected shape [{string.Join(", ", expectedShape)}], got [{string.Join(", ", actualShape)}]");
        AssertClose(ToDoubles(expected), actual, rtol, atol, what, actualShape);
    }

    static void Describe(StringBuilder m, string label, double error, int at, double[] expected, float[] actual, int[]? shape) =>
        m.AppendLine(CultureInfo.InvariantCulture,
            $"  {label} {error:G4} at {IndexText(at, shape)}: expected {expected[at]:G9}, actual {actual[at]:G9}");

    /// <summary>Flat index as "[i, j, k] (flat n)" when the shape is known.</summary>
    static string IndexText(int flat, int[]? shape)
    {
        if (shape == null || shape.Length == 0) return $"flat index {flat}";
        var index = new int[shape.Length];
        int rest = flat;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? 0 : rest / shape[d];
        }
        return $"[{string.Join(", ", index)}] (flat {flat})";
    }

    static long[] ToLongs(int[] shape) => shape.Select(d => (long)d).ToArray();

    static void CheckCount(int length, int[] shape)
    {
        if (Count(shape) != length)
            throw new ArgumentException($"{length} elements do not fill shape [{string.Join(", ", shape)}]");
    }
}
