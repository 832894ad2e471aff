using Sharpformer.Autograd;
using Sharpformer.Losses;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Losses;

public class CrossEntropyTests
{
    [Fact]
    public void KnownValues()
    {
        // Two equal logits: −log ½ = ln 2.
        Assert.Equal(MathF.Log(2), CrossEntropy.Loss(Tensor.Zeros(1, 2), Tensor.FromArray([0f])).Item(), 6);
        // logits [1, 2, 3], target 2: −log softmax = log(e + e² + e³) − 3.
        float expected = MathF.Log(MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(3)) - 3;
        Assert.Equal(expected, CrossEntropy.Loss(Tensor.FromArray([1f, 2f, 3f], 1, 3), Tensor.FromArray([2f])).Item(), 6);
        // Label smoothing ε: (1 − ε)·nll + ε·mean_c(−log p_c).
        var logProbs = Enumerable.Range(1, 3).Select(c => c - MathF.Log(MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(3))).ToArray();
        float smoothed = 0.9f * expected + 0.1f * -logProbs.Average();
        Assert.Equal(smoothed,
            CrossEntropy.Loss(Tensor.FromArray([1f, 2f, 3f], 1, 3), Tensor.FromArray([2f]), labelSmoothing: 0.1f).Item(), 6);
    }

    [Fact]
    public void IgnoredTargetsAreLeftOutOfTheMean()
    {
        var logits = Tensor.FromArray([0f, 0f, 5f, 0f, 1f, 2f], 3, 2);
        var all = CrossEntropy.Loss(logits.Narrow(0, 0, 1), Tensor.FromArray([1f]));
        var withPadding = CrossEntropy.Loss(logits, Tensor.FromArray([1f, 0f, 0f]), ignoreIndex: 0);
        Assert.Equal(all.Item(), withPadding.Item(), 6);
        Assert.True(float.IsNaN(CrossEntropy.Loss(logits, Tensor.Zeros(3), ignoreIndex: 0).Item()));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void GradientCheck(float smoothing)
    {
        var logits = Tensor.Normal([2, 3, 5], new Rng(1)).RequireGrad();
        var targets = Tensor.FromArray([1, 4, 0, 2, 0, 3], 2, 3);
        var result = GradCheck.Run(x => CrossEntropy.Loss(x[0], targets, ignoreIndex: 0, labelSmoothing: smoothing), [logits]);
        Assert.True(result.Passed, result.Report);
        // Ignored rows get exactly zero gradient.
        Assert.All(Enumerable.Range(0, 5), c => Assert.Equal(0f, logits.Grad![0, 2, c]));
    }

    [Fact]
    public void BadTargetsAreRejected()
    {
        Assert.Throws<IndexOutOfRangeException>(() => CrossEntropy.Loss(Tensor.Zeros(2, 3), Tensor.FromArray([0f, 3f])));
        var e = Assert.Throws<ShapeMismatchException>(() => CrossEntropy.Loss(Tensor.Zeros(2, 3), Tensor.FromArray([0f])));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Loss(Tensor.Zeros(1, 3), Tensor.Zeros(1), labelSmoothing: 1.5f));
    }
}
