using Sharpformer.Exercises.Week01;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 1: strides, broadcasting, the matrix product.</summary>
[Trait("Week", "1")]
public sealed class Week01Tests
{
    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 12, 4, 1 })]
    [InlineData(new[] { 5 }, new[] { 1 })]
    [InlineData(new[] { 3, 1, 2 }, new[] { 2, 2, 1 })]
    [InlineData(new int[0], new int[0])]
    public void ContiguousStrides(int[] shape, int[] expected) => Assert.Equal(expected, TensorBasics.ContiguousStrides(shape));

    [Theory]
    [InlineData(new[] { 3, 1 }, new[] { 4 }, new[] { 3, 4 })]
    [InlineData(new[] { 2, 1, 5 }, new[] { 3, 1 }, new[] { 2, 3, 5 })]
    [InlineData(new int[0], new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new[] { 1 }, new[] { 1 }, new[] { 1 })]
    public void BroadcastShape(int[] a, int[] b, int[] expected)
    {
        Assert.Equal(expected, TensorBasics.BroadcastShape(a, b));
        Assert.Equal(expected, TensorBasics.BroadcastShape(b, a));
    }

    [Fact]
    public void ShapesThatDoNotBroadcastAreRefused()
    {
        Assert.ThrowsAny<ArgumentException>(() => TensorBasics.BroadcastShape([2, 3], [4]));
        Assert.ThrowsAny<ArgumentException>(() => TensorBasics.BroadcastShape([2, 3], [3, 2, 2]));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 4)]
    [InlineData(17, 33, 9)]
    [InlineData(4, 0, 3)]
    public void MatMulMatchesTheLibrary(int m, int k, int n)
    {
        float[] a = Grading.Normal(m * k, 1), b = Grading.Normal(k * n, 2);
        var expected = Tensor.FromArray(a, m, k).MatMul(Tensor.FromArray(b, k, n)).ToArray();
        Grading.Close(expected, TensorBasics.MatMul(a, b, m, k, n), $"[{m}, {k}]·[{k}, {n}]");
    }

    [Fact]
    public void MatMulMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week01.matmul");
        var (a, b) = (e["a"], e["b"]);
        Grading.Close(e["out"].Data, TensorBasics.MatMul(a.Data, b.Data, a.Shape[0], a.Shape[1], b.Shape[1]), "torch.matmul");
    }
}
