using Sharpformer.Viz;

namespace Sharpformer.Tests.Viz;

public sealed class PcaTests
{
    // Four points on the axes: the covariance (n − 1 = 3) is diag(8/3, 2/3), worked out by hand, so
    // PC1 = x with variance 8/3 (80 %), PC2 = y with variance 2/3 (20 %).
    private static readonly double[,] Cross = { { 2, 0 }, { -2, 0 }, { 0, 1 }, { 0, -1 } };

    [Fact]
    public void AxisAlignedCrossGivesTheHandComputedComponents()
    {
        var pca = Pca.Fit(Cross);
        Assert.Equal([0.0, 0.0], pca.Mean);
        AssertVector([1, 0], pca.Components[0]);
        AssertVector([0, 1], pca.Components[1]);
        Assert.Equal(8.0 / 3, pca.Variances[0], 1e-9);
        Assert.Equal(2.0 / 3, pca.Variances[1], 1e-9);
        Assert.Equal(0.8, pca.ExplainedRatios[0], 1e-9);
        Assert.Equal(0.2, pca.ExplainedRatios[1], 1e-9);
        double[,] expected = { { 2, 0 }, { -2, 0 }, { 0, 1 }, { 0, -1 } };
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 2; k++) Assert.Equal(expected[i, k], pca.Projection[i, k], 1e-9);
    }

    [Fact]
    public void RotatedAndShiftedCrossIsCentredAndFoundAlongTheDiagonals()
    {
        // The same cross turned 45° and moved to (5, −3): PC1 = (1, 1)/√2, PC2 = ±(1, −1)/√2, same variances.
        double c = Math.Sqrt(0.5);
        var data = new double[4, 2];
        for (int i = 0; i < 4; i++)
        {
            data[i, 0] = c * (Cross[i, 0] - Cross[i, 1]) + 5;
            data[i, 1] = c * (Cross[i, 0] + Cross[i, 1]) - 3;
        }
        var pca = Pca.Fit(data);
        Assert.Equal(5, pca.Mean[0], 1e-12);
        Assert.Equal(-3, pca.Mean[1], 1e-12);
        AssertVector([c, c], pca.Components[0]);
        Assert.Equal(1, Math.Abs(pca.Components[1][0] * c - pca.Components[1][1] * c), 1e-9);
        Assert.Equal(0.8, pca.ExplainedRatios[0], 1e-9);
        Assert.Equal(0.2, pca.ExplainedRatios[1], 1e-9);
        // Distances along PC1 are those of the unrotated cross.
        Assert.Equal([2, -2, 0, 0], Enumerable.Range(0, 4).Select(i => Math.Round(pca.Projection[i, 0], 9)));
    }

    [Fact]
    public void ComponentsAreOrthonormalAndFollowTheLargestVariance()
    {
        // 3-D points: variance 18/3 along z, 8/3 along x, none along y.
        double[,] data = { { 2, 7, 0 }, { -2, 7, 0 }, { 0, 7, 3 }, { 0, 7, -3 } };
        var pca = Pca.Fit(data, 3);
        AssertVector([0, 0, 1], pca.Components[0]);
        AssertVector([1, 0, 0], pca.Components[1]);
        Assert.Equal(0, pca.Variances[2], 1e-9);
        Assert.Equal(1, pca.ExplainedRatios.Sum(), 1e-9);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                Assert.Equal(a == b ? 1 : 0, pca.Components[a].Zip(pca.Components[b]).Sum(p => p.First * p.Second), 1e-9);
    }

    [Fact]
    public void MatchesTheCovarianceEigenvectorsOfRandomData()
    {
        // Random 6-D data: each component must be an eigenvector of the covariance: C v = λ v.
        var rng = new Random(7);
        var data = new double[40, 6];
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 6; j++) data[i, j] = rng.NextDouble() * (j + 1);
        var pca = Pca.Fit(data, 2);
        for (int k = 0; k < 2; k++)
        {
            var cv = new double[6];
            for (int i = 0; i < 40; i++)
            {
                double s = 0;
                for (int j = 0; j < 6; j++) s += (data[i, j] - pca.Mean[j]) * pca.Components[k][j];
                for (int j = 0; j < 6; j++) cv[j] += s * (data[i, j] - pca.Mean[j]) / 39;
            }
            for (int j = 0; j < 6; j++) Assert.Equal(pca.Variances[k] * pca.Components[k][j], cv[j], 1e-7);
        }
        Assert.True(pca.Variances[0] >= pca.Variances[1]);
    }

    [Fact]
    public void RejectsTooFewRowsOrComponents()
    {
        Assert.Throws<ArgumentException>(() => Pca.Fit(new double[1, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pca.Fit(new double[5, 2], 3));
    }

    private static void AssertVector(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], actual[j], 1e-9);
    }
}
