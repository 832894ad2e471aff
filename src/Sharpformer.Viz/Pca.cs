namespace Sharpformer.Viz;

/// <summary>The result of <see cref="Pca.Fit(double[,], int)"/>.</summary>
/// <param name="Mean">The mean of each input column (what was subtracted).</param>
/// <param name="Components">Unit principal directions, largest variance first: Components[k][j].</param>
/// <param name="Variances">The sample variance (n − 1 denominator) along each component.</param>
/// <param name="ExplainedRatios">Each component's share of the total variance, in [0, 1].</param>
/// <param name="Projection">The centred rows projected onto the components: Projection[i, k].</param>
public sealed record PcaResult(double[] Mean, double[][] Components, double[] Variances, double[] ExplainedRatios, double[,] Projection);

/// <summary>
/// Principal component analysis by power iteration: centre the rows, then repeatedly apply the
/// covariance Xᵀ X / (n − 1) (as Xᵀ (X v), without forming it) to a vector kept orthogonal to the
/// components already found. Each component's sign is fixed so its largest entry is positive.
/// </summary>
public static class Pca
{
    private const int MaxIterations = 5000;
    private const double Tolerance = 1e-12;

    /// <summary>The top <paramref name="count"/> principal components of the rows of <paramref name="data"/> [n, d].</summary>
    public static PcaResult Fit(double[,] data, int count = 2)
    {
        int n = data.GetLength(0), d = data.GetLength(1);
        if (n < 2) throw new ArgumentException($"PCA needs at least two rows, got {n}");
        if (count < 1 || count > d)
            throw new ArgumentOutOfRangeException(nameof(count), $"PCA: {count} components of {d}-dimensional data");

        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += data[i, j] / n;
        var x = new double[n, d];
        double total = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                x[i, j] = data[i, j] - mean[j];
                total += x[i, j] * x[i, j];
            }
        total /= n - 1;

        var components = new double[count][];
        var variances = new double[count];
        for (int k = 0; k < count; k++)
        {
            components[k] = TopDirection(x, components.AsSpan(0, k), out variances[k]);
            FixSign(components[k]);
        }

        var projection = new double[n, count];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < count; k++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += x[i, j] * components[k][j];
                projection[i, k] = s;
            }
        var ratios = variances.Select(v => total > 0 ? v / total : 0).ToArray();
        return new PcaResult(mean, components, variances, ratios, projection);
    }

    /// <summary>As <see cref="Fit(double[,], int)"/> for float rows (e.g. an embedding table).</summary>
    public static PcaResult Fit(float[,] data, int count = 2)
    {
        var copy = new double[data.GetLength(0), data.GetLength(1)];
        for (int i = 0; i < copy.GetLength(0); i++)
            for (int j = 0; j < copy.GetLength(1); j++) copy[i, j] = data[i, j];
        return Fit(copy, count);
    }

    // The unit vector v ⟂ found maximising vᵀ C v, and that variance.
    private static double[] TopDirection(double[,] x, ReadOnlySpan<double[]> found, out double variance)
    {
        int d = x.GetLength(1);
        var v = StartVector(x, found);
        variance = 0;
        if (v is null) return AnyOrthogonal(d, found);
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            var next = ApplyCovariance(x, v);
            Orthogonalize(next, found);
            double norm = Norm(next);
            variance = norm;                                  // ‖C v‖ → λ as v converges
            if (norm < 1e-300) return AnyOrthogonal(d, found); // nothing left: the remaining variance is zero
            double change = 0;
            for (int j = 0; j < d; j++)
            {
                next[j] /= norm;
                change = Math.Max(change, Math.Abs(next[j] - v[j]));
            }
            v = next;
            if (change < Tolerance) break;
        }
        variance = Dot(v, ApplyCovariance(x, v));            // the Rayleigh quotient
        return v;
    }

    // Starts from the data row with the most length left after removing the found directions: it lies
    // in the data's span, so it is not orthogonal to every remaining direction of variance.
    private static double[]? StartVector(double[,] x, ReadOnlySpan<double[]> found)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        double[]? best = null;
        double bestNorm = 0;
        for (int i = 0; i < n; i++)
        {
            var row = new double[d];
            for (int j = 0; j < d; j++) row[j] = x[i, j];
            Orthogonalize(row, found);
            double norm = Norm(row);
            if (norm > bestNorm)
            {
                bestNorm = norm;
                best = row;
            }
        }
        if (best is null || bestNorm < 1e-300) return null;
        for (int j = 0; j < d; j++) best[j] /= bestNorm;
        return best;
    }

    // C v = Xᵀ (X v) / (n − 1)
    private static double[] ApplyCovariance(double[,] x, double[] v)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var result = new double[d];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < d; j++) s += x[i, j] * v[j];
            s /= n - 1;
            for (int j = 0; j < d; j++) result[j] += s * x[i, j];
        }
        return result;
    }

    private static void Orthogonalize(double[] v, ReadOnlySpan<double[]> found)
    {
        foreach (var u in found)
        {
            double s = Dot(u, v);
            for (int j = 0; j < v.Length; j++) v[j] -= s * u[j];
        }
    }

    // A unit vector orthogonal to the found ones (used when the data has no variance left).
    private static double[] AnyOrthogonal(int d, ReadOnlySpan<double[]> found)
    {
        for (int axis = 0; axis < d; axis++)
        {
            var e = new double[d];
            e[axis] = 1;
            Orthogonalize(e, found);
            double norm = Norm(e);
            if (norm > 1e-6)
            {
                for (int j = 0; j < d; j++) e[j] /= norm;
                return e;
            }
        }
        throw new InvalidOperationException("PCA: no direction left");
    }

    private static void FixSign(double[] v)
    {
        int largest = 0;
        for (int j = 1; j < v.Length; j++)
            if (Math.Abs(v[j]) > Math.Abs(v[largest]) + 1e-9) largest = j;
        if (v[largest] < 0)
            for (int j = 0; j < v.Length; j++) v[j] = -v[j];
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }

    private static double Norm(double[] v) => Math.Sqrt(Dot(v, v));
}
