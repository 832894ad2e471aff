using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

public class TensorTests
{
    private static void Equal(float[] expected, Tensor actual, float tolerance = 1e-6f)
    {
        var values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {values[i]}");
    }

    [Fact]
    public void CreationShapesAndValues()
    {
        var z = Tensor.Zeros(2, 3);
        Assert.Equal([2, 3], z.ShapeArray());
        Assert.Equal([3, 1], z.Strides.ToArray());
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Full([4], 2.5f).ToArray(), v => Assert.Equal(2.5f, v));
        Equal([1, 1.5f, 2, 2.5f], Tensor.Arange(1, 3, 0.5f));
        Equal([0, 1, 2, 3, 4], Tensor.Arange(5));
        Equal([5, 3, 1], Tensor.Arange(5, 0, -2));
        Assert.Equal(0, Tensor.Scalar(7).Rank);
        Assert.Equal(7f, Tensor.Scalar(7).Item());
        Assert.Equal(6f, Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3)[1, 2]);
        Assert.Equal(4f, Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3)[-1, 0]);
    }

    [Fact]
    public void FromArrayCopiesItsInput()
    {
        var data = new float[] { 1, 2 };
        var t = Tensor.FromArray(data);
        data[0] = 9;
        Assert.Equal(1f, t[0]);
    }

    [Fact]
    public void SeededRandomTensorsRepeatAndHaveTheRightStatistics()
    {
        var a = Tensor.Normal([100_000], new Rng(42), mean: 1f, std: 2f).ToArray();
        var b = Tensor.Normal([100_000], new Rng(42), mean: 1f, std: 2f).ToArray();
        Assert.Equal(a, b);
        double mean = a.Average(), std = Math.Sqrt(a.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 0.98, 1.02);
        Assert.InRange(std, 1.98, 2.02);
        var u = Tensor.Uniform([100_000], new Rng(7), -3f, 5f).ToArray();
        Assert.InRange(u.Min(), -3f, -2.99f);
        Assert.InRange(u.Max(), 4.99f, 5f);
        Assert.InRange(u.Average(), 0.97, 1.03);
    }

    [Fact]
    public void RngStateRestoresTheSequence()
    {
        var rng = new Rng(3);
        rng.NextUInt64();
        var state = rng.State;
        var first = Enumerable.Range(0, 5).Select(_ => rng.NextGaussian()).ToArray();
        var other = new Rng(99) { State = state };
        Assert.Equal(first, Enumerable.Range(0, 5).Select(_ => other.NextGaussian()).ToArray());
        Assert.NotEqual(new Rng(1).NextUInt64(), new Rng(2).NextUInt64());
    }

    [Fact]
    public void ViewsShareStorageAndHaveTheRightStrides()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        var t = x.Transpose(0, 2);
        Assert.Equal([4, 3, 2], t.ShapeArray());
        Assert.Equal([1, 4, 12], t.Strides.ToArray());
        Assert.False(t.IsContiguous);
        Assert.Equal(x[1, 2, 3], t[3, 2, 1]);
        var p = x.Permute(1, 2, 0);
        Assert.Equal([3, 4, 2], p.ShapeArray());
        Assert.Equal(x[1, 0, 3], p[0, 3, 1]);
        var s = x.Slice(2, 1, 4, 2);
        Equal([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23], s);
        Assert.Equal([2, 3, 2], s.ShapeArray());
        Equal([4, 5, 6, 7, 8, 9, 10, 11], x.Narrow(1, 1, 2).Slice(0, 0, 1));
        Equal([20, 21, 22, 23], x.Slice(1, -1, 3).Slice(0, -1, 2));
        var e = Tensor.FromArray([1, 2, 3], 3, 1).Expand(2, 3, 4);
        Assert.Equal([0, 1, 0], e.Strides.ToArray());
        Assert.Equal(3f, e[1, 2, 3]);
        Assert.Equal([2, 12], x.Reshape(2, -1).ShapeArray());
        Assert.Equal([24], x.Flatten().ShapeArray());
        Assert.Equal([2, 1, 3, 4], x.Unsqueeze(1).ShapeArray());
        Assert.Equal([2, 3, 4], x.Unsqueeze(-1).Squeeze(-1).ShapeArray());
        // Reshaping a non-contiguous view copies: values follow the view's logical order.
        Equal([0, 12, 4, 16, 8, 20], x.Transpose(0, 2).Reshape(4, 6).Slice(0, 0, 1));
    }

    [Fact]
    public void BroadcastingArithmetic()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        Equal([11, 22, 33, 14, 25, 36], a + Tensor.FromArray([10, 20, 30]));
        Equal([0, 1, 2, 2, 3, 4], a - Tensor.FromArray([1, 2], 2, 1));
        Equal([2, 4, 6, 8, 10, 12], a * 2f);
        Equal([1, 0.5f, 1f / 3, 0.25f, 0.2f, 1f / 6], 1f / a);
        Equal([1, 4, 9, 16, 25, 36], a.Pow(2f));
        var outer = Tensor.FromArray([1, 2], 2, 1, 1) * Tensor.FromArray([1, 10, 100], 3, 1);
        Assert.Equal([2, 3, 1], outer.ShapeArray());
        Equal([1, 10, 100, 2, 20, 200], outer);
        Equal([2, 4, 6, 8], Tensor.Arange(1, 5).Transpose(0, 0) + Tensor.Arange(1, 5));
    }

    [Fact]
    public void ElementwiseFunctionsKnownValues()
    {
        var x = Tensor.FromArray([-2f, -0.5f, 0f, 1f, 3f]);
        Equal([0, 0, 0, 1, 3], x.Relu());
        Equal([MathF.Exp(-2), MathF.Exp(-0.5f), 1, MathF.E, MathF.Exp(3)], x.Exp(), 1e-6f);
        Equal([MathF.Tanh(-2), MathF.Tanh(-0.5f), 0, MathF.Tanh(1), MathF.Tanh(3)], x.Tanh());
        Equal([1 / (1 + MathF.Exp(2)), 1 / (1 + MathF.Exp(0.5f)), 0.5f, 1 / (1 + MathF.Exp(-1)), 1 / (1 + MathF.Exp(-3))], x.Sigmoid());
        // x·Φ(x) from tabulated Φ: Φ(1) = 0.841344746, Φ(−2) = 0.022750132, Φ(−0.5) = 0.308537539, Φ(3) = 0.998650102.
        Equal([-0.045500264f, -0.15426877f, 0, 0.84134475f, 2.9959503f], x.Gelu(), 1e-6f);
        Equal([-0.04540231f, -0.15428599f, 0, 0.84119199f, 2.99636261f], x.Gelu(GeluApproximation.Tanh), 1e-6f);
        Equal([1, 2, 3], Tensor.FromArray([1, 4, 9]).Sqrt());
        Equal([0, 1, 2], Tensor.FromArray([1, MathF.E, MathF.E * MathF.E]).Log(), 1e-6f);
    }

    [Fact]
    public void ReductionsKnownValues()
    {
        var x = Tensor.FromArray([1, 5, 3, 4, 2, 6], 2, 3);
        Equal([5, 7, 9], x.Sum(0));
        Equal([9, 12], x.Sum(1));
        Assert.Equal([2, 1], x.Sum(1, keepDim: true).ShapeArray());
        Equal([3, 4], x.Mean(-1));
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(3.5f, x.Mean().Item());
        Equal([5, 6], x.Max(1));
        Equal([1, 2], x.ArgMax(1));
        Equal([1, 0, 1], x.ArgMax(0));
        Assert.Equal([1, 3], x.ArgMax(0, keepDim: true).ShapeArray());
        Equal([0], Tensor.FromArray([7, 7, 7]).ArgMax(0));
    }

    [Fact]
    public void SoftmaxKnownValuesAndStability()
    {
        var y = Tensor.FromArray([1, 2, 3, 1000, 1001, 1002], 2, 3).Softmax(-1);
        float e1 = MathF.Exp(-2), e2 = MathF.Exp(-1), sum = e1 + e2 + 1;
        Equal([e1 / sum, e2 / sum, 1 / sum, e1 / sum, e2 / sum, 1 / sum], y);
        var log = Tensor.FromArray([1, 2, 3]).LogSoftmax(0);
        Equal([MathF.Log(e1 / sum), MathF.Log(e2 / sum), MathF.Log(1 / sum)], log, 1e-6f);
        var columns = Tensor.FromArray([0, 0, 1, 0], 2, 2).Softmax(0);
        Equal([1 / (1 + MathF.E), 0.5f, MathF.E / (1 + MathF.E), 0.5f], columns);
        var masked = Tensor.FromArray([0, 0, 0]).MaskedFill(Tensor.FromArray([0, 1, 0]), float.NegativeInfinity).Softmax(0);
        Equal([0.5f, 0, 0.5f], masked);
    }

    [Fact]
    public void MatMulKnownValuesAndShapes()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.FromArray([7, 8, 9, 10, 11, 12], 3, 2);
        Equal([58, 64, 139, 154], a.MatMul(b));
        Equal([14, 32], a.MatMul(Tensor.FromArray([1, 2, 3])));
        Assert.Equal(14f, Tensor.FromArray([1, 2, 3]).MatMul(Tensor.FromArray([1, 2, 3])).Item());
        // v·Mᵀ through a transposed view: [1,1,1]·[[1,4,7],[2,5,8],[3,6,9]] = [6, 15, 24].
        Equal([6, 15, 24], Tensor.FromArray([1, 1, 1]).MatMul(Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3).Transpose(0, 1)));
        // Batched with a broadcast batch dimension: [2,1,2,2]·[3,2,2] → [2,3,2,2].
        var left = Tensor.FromArray([1, 0, 0, 1, 2, 0, 0, 2], 2, 1, 2, 2);
        var right = Tensor.Arange(12).Reshape(3, 2, 2);
        var product = left.MatMul(right);
        Assert.Equal([2, 3, 2, 2], product.ShapeArray());
        Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22], product);
        // A 3-D input times a 2-D weight (the Linear layer case).
        var x = Tensor.Arange(12).Reshape(2, 3, 2);
        Equal([1, 3, 5, 7, 9, 11], x.MatMul(Tensor.FromArray([0, 1], 2, 1)));
    }

    [Fact]
    public void IndexingKnownValues()
    {
        var w = Tensor.Arange(12).Reshape(4, 3);
        Equal([6, 7, 8, 0, 1, 2, 6, 7, 8], w.IndexSelect(0, [2, 0, 2]));
        Equal([2, 1], w.IndexSelect(1, Tensor.FromArray([2, 1])).Slice(0, 0, 1));
        Equal([2, 0, 4, 4], w.Slice(0, 0, 2).Gather(1, Tensor.FromArray([2, 0, 1, 1], 2, 2)));
        var c = Tensor.Concat([Tensor.Ones(2, 1), Tensor.Zeros(2, 2)], 1);
        Equal([1, 0, 0, 1, 0, 0], c);
        var parts = Tensor.Arange(7).Split(3, 0);
        Assert.Equal([3, 3, 1], parts.Select(p => p.Length).ToArray());
        Equal([6], parts[2]);
        Equal([10, 2, 30], Tensor.Where(Tensor.FromArray([1, 0, 1]), Tensor.FromArray([10, 20, 30]), Tensor.FromArray([1, 2, 3])));
    }
}
