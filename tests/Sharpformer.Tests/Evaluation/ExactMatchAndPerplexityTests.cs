using Sharpformer.Evaluation;

namespace Sharpformer.Tests.Evaluation;

public class ExactMatchAndPerplexityTests
{
    [Fact]
    public void ExactMatchTrimsAndComparesOrdinally()
    {
        Assert.Equal(0.5, ExactMatch.Fraction([" a b ", "A b", "x", "c d\n"], ["a b", "a b", "y", "c d"]));
        Assert.Equal(1.0, ExactMatch.Fraction(["x", "y"], [["a", "y"], ["x", null]]));
        Assert.True(double.IsNaN(ExactMatch.Fraction([], (IReadOnlyList<string>)[])));
        Assert.Throws<ArgumentException>(() => ExactMatch.Fraction(["a"], ["a", "b"]));
    }

    [Fact]
    public void ExactMatchOnTokenSequences()
    {
        int[][] hyps = [[1, 2, 3], [4, 5], [6]];
        int[][] refs = [[1, 2, 3], [4, 5, 6], [6]];
        Assert.Equal(2.0 / 3, ExactMatch.Fraction<int>(hyps, refs), 1e-12);
    }

    [Fact]
    public void PerplexityIsExpOfTheMeanLoss()
    {
        Assert.Equal(1.0, Perplexity.FromMeanLoss(0));
        Assert.Equal(10.0, Perplexity.FromMeanLoss(Math.Log(10)), 1e-12); // uniform over 10 classes
        Assert.Equal(Math.E, Perplexity.FromTotalLoss(50, 50), 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Perplexity.FromTotalLoss(1, 0));
    }
}
