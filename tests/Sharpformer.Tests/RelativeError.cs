namespace Sharpformer.Tests;

/// <summary>How far one computation's numbers are from another's, relative to the largest expected value.</summary>
internal static class RelativeError
{
    /// <summary>max |expected − actual| / max |expected|; a non-finite actual value fails the test.</summary>
    public static double Max(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(MathF.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"value {i} is {actual[i]}");
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        }
        return worst;
    }
}
