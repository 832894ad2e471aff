using TorchSharp;
using Xunit.Sdk;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>The helpers the parity tests rely on: round trips and a comparison that really fails.</summary>
public class TorchOracleTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripKeepsValuesAndShape(bool float64)
    {
        float[] data = RandomFloats(5, 24);
        using var t = ToTorch(data, [2, 3, 4], float64);
        Assert.Equal(float64 ? torch.ScalarType.Float64 : torch.ScalarType.Float32, t.dtype);
        Assert.Equal([2, 3, 4], ShapeOf(t));
        Assert.Equal(data, ToFloats(t));
        using var transposed = t.transpose(0, 2); // non-contiguous: must come back in row-major order of the view
        Assert.Equal(data[1 * 12 + 0 * 4 + 3], ToFloats(transposed)[3 * 6 + 0 * 2 + 1]);
    }

    [Fact]
    public void AssertCloseReportsWorstElement()
    {
        double[] expected = [1, 2, 3, 4, 5, 6];
        AssertClose(expected, [1, 2, 3, 4, 5.00001f, 6], 1e-5, 1e-5, "within tolerance", [2, 3]);
        var e = Assert.Throws<XunitException>(() => AssertClose(expected, [1, 2, 3, 4, 5.1f, 6], 1e-5, 1e-5, "probe", [2, 3]));
        Assert.Contains("probe: 1 of 6 elements differ", e.Message);
        Assert.Contains("[1, 1] (flat 4)", e.Message);
        Assert.Throws<XunitException>(() => AssertClose([double.NaN], [0f], 1, 1, "nan"));
        AssertClose([double.NaN, double.PositiveInfinity], [float.NaN, float.PositiveInfinity], 0, 0, "nan and inf agree");
    }

    [Fact]
    public void AssertCloseChecksShape()
    {
        using var t = torch.zeros(2, 3);
        var e = Assert.Throws<XunitException>(() => AssertClose(t, new float[6], [3, 2], 0, 0, "shape"));
        Assert.Contains("expected shape [2, 3], got [3, 2]", e.Message);
    }
}
