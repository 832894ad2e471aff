using Sharpformer.Autograd;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Autograd;

/// <summary>Finite-difference checks of every differentiable op, broadcasting included.</summary>
public class GradCheckTests
{
    private static Tensor Rand(int seed, params int[] shape) => Tensor.Normal(shape, new Rng((ulong)seed)).RequireGrad();

    private static Tensor Positive(int seed, params int[] shape) => Tensor.Uniform(shape, new Rng((ulong)seed), 0.5f, 2f).RequireGrad();

    private static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.Report);
    }

    public static TheoryData<int[], int[]> BroadcastPairs => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 2, 3, 4 }, new[] { 4 } },
        { new[] { 2, 1, 4 }, new[] { 3, 1 } },
        { new[] { 1 }, new[] { 2, 3 } },
        { new int[0], new[] { 2, 2 } },
    };

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Add(int[] a, int[] b) => Check(x => x[0] + x[1], Rand(1, a), Rand(2, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Sub(int[] a, int[] b) => Check(x => x[0] - x[1], Rand(3, a), Rand(4, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Mul(int[] a, int[] b) => Check(x => x[0] * x[1], Rand(5, a), Rand(6, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Div(int[] a, int[] b) => Check(x => x[0] / x[1], Rand(7, a), Positive(8, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void PowTensor(int[] a, int[] b) => Check(x => x[0].Pow(x[1]), Positive(9, a), Rand(10, b));

    [Fact]
    public void PowScalar() => Check(x => x[0].Pow(2.5f), Positive(11, 3, 4));

    [Fact]
    public void ScalarOperators() => Check(x => (2f - x[0]) * 3f / (1f + x[0] * x[0]), Rand(12, 2, 5));

    [Fact]
    public void Neg() => Check(x => -x[0], Rand(13, 4));

    [Fact]
    public void Exp() => Check(x => x[0].Exp(), Rand(14, 3, 3));

    [Fact]
    public void Log() => Check(x => x[0].Log(), Positive(15, 3, 3));

    [Fact]
    public void Sqrt() => Check(x => x[0].Sqrt(), Positive(16, 3, 3));

    [Fact]
    public void Tanh() => Check(x => x[0].Tanh(), Rand(17, 3, 3));

    [Fact]
    public void Sigmoid() => Check(x => x[0].Sigmoid(), Rand(18, 3, 3));

    [Fact]
    public void Relu()
    {
        // Keep inputs away from the kink at 0, where the derivative is undefined.
        var x = Tensor.FromArray([-1.5f, -0.3f, 0.2f, 0.7f, 2.1f, -2.4f], 2, 3).RequireGrad();
        Check(t => t[0].Relu(), x);
    }

    [Theory]
    [InlineData(GeluApproximation.None)]
    [InlineData(GeluApproximation.Tanh)]
    public void Gelu(GeluApproximation approximation) =>
        Check(x => x[0].Gelu(approximation), Tensor.Normal([4, 5], new Rng(19), 0, 2).RequireGrad());

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void Sum(int axis, bool keepDim) => Check(x => x[0].Sum(axis, keepDim), Rand(20, 2, 3, 4));

    [Fact]
    public void SumAll() => Check(x => x[0].Sum() * x[0].Sum(), Rand(21, 2, 3));

    [Theory]
    [InlineData(0, true)]
    [InlineData(2, false)]
    public void Mean(int axis, bool keepDim) => Check(x => x[0].Mean(axis, keepDim), Rand(22, 2, 3, 4));

    [Fact]
    public void MeanAll() => Check(x => x[0].Mean(), Rand(23, 3, 4));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public void Max(int axis, bool keepDim)
    {
        // Distinct values, so no ties move the maximum under perturbation.
        var values = Enumerable.Range(0, 24).Select(i => (float)((i * 7) % 24) * 0.37f).ToArray();
        Check(x => x[0].Max(axis, keepDim), Tensor.FromArray(values, 2, 3, 4).RequireGrad());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Softmax(int axis) => Check(x => x[0].Softmax(axis), Rand(24, 3, 4, 5));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void LogSoftmax(int axis) => Check(x => x[0].LogSoftmax(axis), Rand(25, 3, 4, 5));

    public static TheoryData<int[], int[]> MatMulShapes => new()
    {
        { new[] { 3, 4 }, new[] { 4, 5 } },
        { new[] { 4 }, new[] { 4 } },
        { new[] { 4 }, new[] { 4, 3 } },
        { new[] { 2, 4 }, new[] { 4 } },
        { new[] { 2, 3, 4 }, new[] { 4, 5 } },
        { new[] { 2, 3, 4 }, new[] { 2, 4, 5 } },
        { new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 } },
        { new[] { 3, 4 }, new[] { 2, 4, 2 } },
    };

    [Theory, MemberData(nameof(MatMulShapes))]
    public void MatMul(int[] a, int[] b) => Check(x => x[0].MatMul(x[1]), Rand(26, a), Rand(27, b));

    [Fact]
    public void MatMulOfTransposedViews() =>
        Check(x => x[0].Transpose(0, 1).MatMul(x[1].Transpose(-1, -2)), Rand(28, 4, 3), Rand(29, 2, 5, 4));

    [Fact]
    public void IndexSelectWithRepeats() => Check(x => x[0].IndexSelect(0, [2, 0, 2, 1]), Rand(30, 3, 4));

    [Fact]
    public void IndexSelectMiddleAxis() => Check(x => x[0].IndexSelect(1, [1, 1, 0]), Rand(31, 2, 3, 2));

    [Fact]
    public void Gather()
    {
        var index = Tensor.FromArray([0, 2, 1, 1, 0, 0], 3, 2);
        Check(x => x[0].Gather(1, index), Rand(32, 3, 4));
        Check(x => x[0].Gather(0, index), Rand(33, 3, 4));
    }

    [Fact]
    public void ConcatAndSplit()
    {
        Check(x => Tensor.Concat([x[0], x[1], x[0]], 1), Rand(34, 2, 3), Rand(35, 2, 1));
        Check(x => x[0].Split(2, 1)[1] * x[0].Split([1, 4], 1)[1].Sum(1, keepDim: true), Rand(36, 2, 5));
    }

    [Fact]
    public void WhereAndMaskedFill()
    {
        var condition = Tensor.FromArray([1, 0, 0, 1, 1, 0], 2, 3);
        Check(x => Tensor.Where(condition, x[0], x[1]), Rand(37, 2, 3), Rand(38, 3));
        Check(x => x[0].MaskedFill(Tensor.FromArray([0, 1, 0], 3), -5f), Rand(39, 2, 3));
    }

    [Fact]
    public void Views()
    {
        Check(x => x[0].Reshape(4, -1).Transpose(0, 1), Rand(40, 2, 3, 2));
        Check(x => x[0].Permute(2, 0, 1).Contiguous() * x[0].Permute(2, 0, 1), Rand(41, 2, 3, 2));
        Check(x => x[0].Slice(1, 1, 5, 2) * 2f, Rand(42, 3, 6));
        Check(x => x[0].Unsqueeze(1).Expand(2, 3, 4) * x[1], Rand(43, 2, 4), Rand(44, 3, 4));
        Check(x => x[0].Squeeze(0).Narrow(0, 1, 2), Rand(45, 1, 3, 2));
    }

    [Fact]
    public void TensorUsedTwiceAccumulates() => Check(x => x[0] * x[0] + x[0].Exp() * x[1], Rand(46, 3), Rand(47, 3));

    [Fact]
    public void DetectsAWrongGradient()
    {
        // A deliberately wrong backward must be caught: the checker itself can fail.
        var x = Rand(48, 3);
        var result = GradCheck.Run(t => Tensor.Record(t[0].Detach() * 2f, "Wrong", [t[0]], g => [g * 3f]), [x]);
        Assert.False(result.Passed, result.Report);
        Assert.Contains("FAILED", result.Report);
    }

    [Fact]
    public void DetectsANonFiniteGradient()
    {
        // NaN compares false with everything: the checker must treat it as the worst error, not skip it.
        var x = Rand(49, 3);
        var nan = GradCheck.Run(t => Tensor.Record(t[0].Detach() * 2f, "NaN", [t[0]], g => [g * float.NaN]), [x]);
        Assert.False(nan.Passed, nan.Report);
        Assert.Equal(double.PositiveInfinity, nan.WorstRatio);
        var infinite = GradCheck.Run(t => Tensor.Record(t[0].Detach() * 2f, "Infinite", [t[0]], g => [g * float.PositiveInfinity]), [x]);
        Assert.False(infinite.Passed, infinite.Report);
    }

    [Fact]
    public void LinearOpWithAndWithoutBias()
    {
        Check(x => x[0].Linear(x[1], x[2]), Rand(50, 2, 3, 4), Rand(51, 5, 4), Rand(52, 5));
        Check(x => x[0].Linear(x[1], null), Rand(53, 4), Rand(54, 3, 4));
        Check(x => x[0].Transpose(0, 1).Linear(x[1], null), Rand(55, 4, 2), Rand(56, 3, 4));
    }
}
