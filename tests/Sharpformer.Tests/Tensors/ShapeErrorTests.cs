using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

/// <summary>Bad shapes, axes and lengths throw exceptions whose messages say what is wrong.</summary>
public class ShapeErrorTests
{
    private static void ThrowsMentioning<TException>(Action action, params string[] fragments) where TException : Exception
    {
        var e = Assert.ThrowsAny<TException>(action);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void BroadcastMismatchNamesOpAndBothShapes()
    {
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).Add(Tensor.Ones(4)), "Add", "[2, 3]", "[4]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).Mul(Tensor.Ones(3, 2)), "Mul", "[2, 3]", "[3, 2]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Where(Tensor.Ones(2), Tensor.Ones(3), Tensor.Ones(2)), "Where");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(3).MaskedFill(Tensor.Ones(2, 3), 0), "MaskedFill", "[2, 3]", "[3]");
    }

    [Fact]
    public void MatMulMismatchNamesShapes()
    {
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).MatMul(Tensor.Ones(4, 5)), "MatMul", "[2, 3]", "[4, 5]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 2, 3).MatMul(Tensor.Ones(3, 3, 4)), "MatMul", "[2]", "[3]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Scalar(1).MatMul(Tensor.Ones(2)), "MatMul", "at least one dimension");
    }

    [Fact]
    public void BadAxesAreRejected()
    {
        ThrowsMentioning<ArgumentOutOfRangeException>(() => Tensor.Ones(2, 3).Sum(2), "Sum", "axis 2", "rank 2");
        ThrowsMentioning<ArgumentOutOfRangeException>(() => Tensor.Ones(2, 3).Softmax(-3), "Softmax", "axis -3");
        ThrowsMentioning<ArgumentOutOfRangeException>(() => Tensor.Ones(2, 3).Transpose(0, 5), "Transpose");
        ThrowsMentioning<ArgumentException>(() => Tensor.Ones(2, 3).Permute(0, 0), "Permute", "twice");
        ThrowsMentioning<ArgumentOutOfRangeException>(() => Tensor.Ones(4).Slice(0, 1, 9), "Slice", "size 4");
    }

    [Fact]
    public void WrongLengthsAreRejected()
    {
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.FromArray([1, 2, 3], 2, 2), "FromArray", "3 values", "[2, 2]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).Reshape(4, 2), "Reshape", "[4, 2]", "[2, 3]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).Reshape(-1, -1), "Reshape", "only one");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(2, 3).Expand(4, 3), "Expand", "[2, 3]", "[4, 3]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Zeros(2, -1), "Zeros", "negative");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Concat([Tensor.Ones(2, 3), Tensor.Ones(3, 3)], 1),
            "Concat", "[2, 3]", "[3, 3]");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(5).Split([2, 2], 0), "Split", "[5]");
        ThrowsMentioning<IndexOutOfRangeException>(() => Tensor.Ones(3, 2).IndexSelect(0, [3]), "IndexSelect", "index 3", "size 3");
        ThrowsMentioning<ArgumentException>(() => Tensor.Ones(3, 2).IndexSelect(0, Tensor.FromArray([0.5f])),
            "IndexSelect", "whole number");
        ThrowsMentioning<ShapeMismatchException>(() => Tensor.Ones(3, 2).Gather(0, Tensor.Zeros(3)), "Gather", "rank");
        ThrowsMentioning<InvalidOperationException>(() => Tensor.Ones(2).Item(), "Item", "2 elements");
        ThrowsMentioning<IndexOutOfRangeException>(() => _ = Tensor.Ones(2, 2)[0, 2], "index 2", "size 2");
        ThrowsMentioning<ArgumentException>(() => Tensor.Arange(0, 1, 0), "Arange");
    }
}
