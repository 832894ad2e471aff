using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>Boundary values where libraries tend to differ: zeros in pow/log/sqrt, NaN in max, empty dimensions.</summary>
public class EdgeCaseParityTests
{
    /// <summary>x⁰ is 1 everywhere, so its gradient is 0 everywhere, at x = 0 too (torch masks the 0·0⁻¹ there).</summary>
    [Fact]
    public void PowZeroExponentAtZeroBase()
    {
        var a = new Input([0f, 1f, -2f, 0.5f], [4]);
        Check("Pow(0) at 0", 1, [a], x => x[0].Pow(0f), x => x[0].pow(0));
    }

    /// <summary>d(bᵉ)/de = bᵉ·ln b, which torch defines as 0 at b = 0 (for e ≥ 0) instead of 0·(−∞).</summary>
    [Fact]
    public void PowTensorExponentGradientAtZeroBase()
    {
        var b = new Input([0f, 0f, 1.5f, 2f], [4]);
        var e = new Input([1f, 2f, 0.5f, 3f], [4]);
        Check("Pow(tensor) at base 0", 1, [b, e], x => x[0].Pow(x[1]), x => x[0].pow(x[1]));
    }

    /// <summary>Relu's gradient at exactly 0 is 0 in torch; sqrt and log at 0 give infinite gradients in both.</summary>
    [Fact]
    public void ActivationsAtZero()
    {
        var a = new Input([0f, 0f, 1f, -1f], [4]);
        Check("Relu at 0", 1, [a], x => x[0].Relu(), x => torch.nn.functional.relu(x[0]));
        var p = new Input([0f, 0f, 1f, 4f], [4]);
        Check("Sqrt at 0", 1, [p], x => x[0].Sqrt(), x => x[0].sqrt());
        Check("Log at 0", 1, [p], x => x[0].Log(), x => x[0].log());
    }

    /// <summary>NaN wins a max (and its index is the argmax), as in torch.</summary>
    [Fact]
    public void MaxPropagatesNaN()
    {
        var a = new Input([1f, float.NaN, 3f, 2f, 5f, 4f], [2, 3]);
        Check("Max(1) with NaN", 1, [a], x => x[0].Max(1), x => x[0].max(1L, false).values);
        var t = Tensor.FromArray(a.Data, a.Shape);
        using var tt = ToTorch(a.Data, a.Shape, float64: true);
        Assert.Equal(ToLongs(tt.argmax(1L, false)), t.ArgMax(1).ToArray().Select(v => (long)v));
    }

    /// <summary>Sums over an empty dimension are 0; a size-1 softmax is 1 with zero gradient.</summary>
    [Fact]
    public void EmptyAndUnitDimensions()
    {
        var empty = new Input([], [3, 0, 2]);
        Check("Sum(1) over an empty dimension", 1, [empty], x => x[0].Sum(1), x => x[0].sum(1L, false));
        Check("Sum(0) of an empty tensor", 1, [empty], x => x[0].Sum(0), x => x[0].sum(0L, false));
        Check("Sum() of an empty tensor", 1, [empty], x => x[0].Sum(), x => x[0].sum());
        var unit = Input.Random(1, [3, 1]);
        Check("Softmax over a size-1 dimension", 1, [unit], x => x[0].Softmax(1), x => x[0].softmax(1));
        Check("LogSoftmax over a size-1 dimension", 1, [unit], x => x[0].LogSoftmax(1), x => x[0].log_softmax(1));
    }

    /// <summary>[m, 0]·[0, n] is an m×n matrix of zeros; and products with an empty m or n.</summary>
    [Fact]
    public void MatMulWithEmptyDimensions()
    {
        Check("MatMul with k = 0", 1, [new Input([], [3, 0]), new Input([], [0, 4])],
            x => x[0].MatMul(x[1]), x => torch.matmul(x[0], x[1]));
        Check("MatMul with m = 0", 1, [new Input([], [0, 3]), Input.Random(2, [3, 4])],
            x => x[0].MatMul(x[1]), x => torch.matmul(x[0], x[1]));
        Check("batched MatMul with n = 0", 1, [Input.Random(1, [2, 3, 4]), new Input([], [2, 4, 0])],
            x => x[0].MatMul(x[1]), x => torch.matmul(x[0], x[1]));
    }
}
