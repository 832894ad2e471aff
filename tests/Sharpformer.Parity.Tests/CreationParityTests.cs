using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Zeros / Ones / Full / Scalar / *Like / FromArray / Arange: shapes and values. (Normal and Uniform draw
/// from Sharpformer's own generator, so their values are not comparable with torch's.)
/// </summary>
public class CreationParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3 };

    static void AssertSame(torch.Tensor expected, Tensor actual, string what) =>
        AssertClose(expected, actual.ToArray(), actual.ShapeArray(), 0, 0, what);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ZerosOnesFull(int seed)
    {
        var rng = new Random(seed);
        int[] shape = RandomShape(rng, seed - 1 + rng.Next(0, 3));
        long[] longShape = shape.Select(d => (long)d).ToArray();
        float value = (float)(rng.NextDouble() * 10 - 5);
        using var scope = torch.NewDisposeScope();
        AssertSame(torch.zeros(longShape), Tensor.Zeros(shape), "Zeros");
        AssertSame(torch.ones(longShape), Tensor.Ones(shape), "Ones");
        AssertSame(torch.full(longShape, value, torch.ScalarType.Float32), Tensor.Full(shape, value), $"Full({value})");
        var like = Tensor.FromArray(RandomFloats(seed, Count(shape)), shape);
        AssertSame(torch.zeros(longShape), Tensor.ZerosLike(like), "ZerosLike");
        AssertSame(torch.ones(longShape), Tensor.OnesLike(like), "OnesLike");
    }

    [Fact]
    public void EmptyAndScalarShapes()
    {
        using var scope = torch.NewDisposeScope();
        AssertSame(torch.zeros(3, 0, 2), Tensor.Zeros(3, 0, 2), "Zeros(3, 0, 2)");
        AssertSame(torch.ones(Array.Empty<long>()), Tensor.Ones(), "Ones() (a scalar)");
        AssertSame(torch.tensor(2.5f), Tensor.Scalar(2.5f), "Scalar(2.5)");
        Assert.Equal(0, Tensor.Scalar(1f).Rank);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FromArrayKeepsRowMajorOrder(int seed)
    {
        int[] shape = RandomShape(new Random(seed), 3);
        float[] data = RandomFloats(seed, Count(shape));
        var t = Tensor.FromArray(data, shape);
        using var expected = ToTorch(data, shape);
        AssertSame(expected, t, "FromArray");
        data[0] += 1; // a copy: later changes to the array do not reach the tensor
        Assert.NotEqual(data[0], t.ToArray()[0]);
        Assert.Equal(data.Length, Tensor.FromArray(data).Length);
    }

    [Theory]
    [InlineData(0f, 10f, 1f)]
    [InlineData(2f, 3f, 1f)]
    [InlineData(-3f, 4.5f, 0.5f)]
    [InlineData(0f, 1f, 0.1f)]
    [InlineData(1f, 2f, 0.3f)]
    [InlineData(5f, -5f, -1.5f)]
    [InlineData(10f, 0f, -3f)]
    [InlineData(3f, 3f, 1f)]
    [InlineData(0f, 100f, 7f)]
    public void ArangeMatchesTorch(float start, float end, float step)
    {
        using var expected = torch.arange(start, end, step, torch.ScalarType.Float32);
        var actual = Tensor.Arange(start, end, step);
        AssertClose(expected, actual.ToArray(), actual.ShapeArray(), 1e-6, 1e-6, $"Arange({start}, {end}, {step})");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    public void ArangeOfCount(int n)
    {
        using var expected = torch.arange(n, torch.ScalarType.Float32);
        var actual = Tensor.Arange(n);
        AssertClose(expected, actual.ToArray(), actual.ShapeArray(), 0, 0, $"Arange({n})");
    }
}
