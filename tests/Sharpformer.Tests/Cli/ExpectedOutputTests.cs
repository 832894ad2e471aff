using Xunit.Sdk;

namespace Sharpformer.Tests.Cli;

/// <summary>The matcher behind the docs' "Expected output" sections: what it lets vary, and what it does not.</summary>
public sealed class ExpectedOutputTests
{
    private static bool Passes(string shown, string printed)
    {
        try
        {
            ExpectedOutput.Check("chapter.md", shown.Split('\n'), printed);
            return true;
        }
        catch (XunitException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("loss 2.5431", "loss 2.5440", true)]            // within 0.2 %
    [InlineData("loss 2.5431", "loss 2.5531", false)]
    [InlineData("mean  -0.000, std 1.000", "mean   0.000, std 1.000", true)]   // a sign shifts a padded column
    [InlineData("22,528 trainable", "22,529 trainable", false)]  // counts are exact
    [InlineData("reversed ≈4 %", "reversed 5 %", true)]         // ≈: one unit of the last digit
    [InlineData("reversed ≈4 %", "reversed 6 %", false)]
    [InlineData("tiled ≈0.85 MB", "tiled 0.87 MB", true)]        // ≈: within 5 %
    [InlineData("tiled ≈0.85 MB", "tiled 0.95 MB", false)]
    [InlineData("diff ≈0.00 %", "diff -0.01 %", true)]
    [InlineData("max 4.8E-007", "max 2.4E-006", true)]           // a measured error: within a factor of 10
    [InlineData("max 4.8E-007", "max 1.0E-004", false)]
    [InlineData("max 0.00E+000", "max 1.0E-010", false)]          // zero exactly
    [InlineData("max ≈4.8E-007", "max 4.9E-007", true)]           // ≈ in E notation: the mantissa's last digit
    [InlineData("max ≈4.8E-007", "max 5.2E-007", false)]
    [InlineData("took ⋯ s at ⋯", "took 2.6 s at 4511/s", true)]
    [InlineData("greedy \"fffl\"", "greedy \"fffm\"", false)]
    public void OneLine(string shown, string printed, bool passes) => Assert.Equal(passes, Passes(shown, printed));

    [Fact]
    public void LinesInOrderWithGapsOnlyWhereShown()
    {
        Assert.True(Passes("a 1\n⋮\nc 3", "a 1\nb 2\nc 3"));
        Assert.True(Passes("a 1\nc 3", "a 1\nb 2\nc 3"));   // lines between may be left out
        Assert.False(Passes("c 3\na 1", "a 1\nb 2\nc 3"));
    }
}
