using Sharpformer.Autograd;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

/// <summary>Rotary position embedding: a rotation (norms kept), relative (scores depend on the offset only), its gradient.</summary>
public class RopeTests
{
    [Fact]
    public void RotationKeepsEveryHeadVectorsNorm()
    {
        var x = Tensor.Normal([2, 6, 3, 8], new Rng(1));
        var y = x.Rope(positionDim: 1, offset: 3);
        float[] a = x.ToArray(), b = y.ToArray();
        for (int v = 0; v < a.Length / 8; v++)
        {
            double na = 0, nb = 0;
            for (int i = 0; i < 8; i++) (na, nb) = (na + a[v * 8 + i] * a[v * 8 + i], nb + b[v * 8 + i] * b[v * 8 + i]);
            Assert.Equal(na, nb, na * 1e-5);
        }
    }

    [Fact]
    public void PositionZeroIsTheIdentity()
    {
        var x = Tensor.Normal([1, 1, 16], new Rng(2));
        Assert.Equal(x.ToArray(), x.Rope(positionDim: 1).ToArray());
    }

    [Fact]
    public void QueryKeyProductsDependOnTheDistanceOnly()
    {
        // q at position m and k at position n give the same q·k as at m + s and n + s.
        var q = Tensor.Normal([1, 16], new Rng(3));
        var k = Tensor.Normal([1, 16], new Rng(4));
        float Dot(int m, int n) => (q.Rope(0, m) * k.Rope(0, n)).Sum().Item();
        Assert.Equal(Dot(2, 7), Dot(102, 107), 1e-4f);
        Assert.Equal(Dot(9, 1), Dot(509, 501), 1e-4f);
        Assert.NotEqual(Dot(2, 7), Dot(2, 8), 1e-3f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void GradientsMatchFiniteDifferences(int positionDim)
    {
        var x = Tensor.Normal(positionDim == 1 ? [2, 3, 2, 4] : [2, 2, 3, 4], new Rng(5)).RequireGrad();
        var result = GradCheck.Run(v => v[0].Rope(positionDim, offset: 4, theta: 100f), [x]);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void BadShapesAndSettingsAreRefused()
    {
        Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(2, 3, 5).Rope(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3, 4).Rope(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3, 4).Rope(1, offset: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3, 4).Rope(1, theta: 1f));
    }
}
