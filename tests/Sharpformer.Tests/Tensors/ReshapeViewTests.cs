using Sharpformer.Autograd;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

public class ReshapeViewTests
{
    private static Tensor Ramp(params int[] shape) => Tensor.Arange(Shapes.Count(shape)).Reshape(shape);

    public static TheoryData<string, int[], bool> Cases() => new()
    {
        { "column slice, split the last dimension", [4, 2, 2], true },
        { "column slice, merge rows", [16], false },
        { "column slice, add size-1 dimensions", [1, 4, 1, 4], true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ASliceOfColumnsReshapesToAViewWhenStridesAllowIt(string name, int[] shape, bool view)
    {
        var slice = Ramp(4, 6).Narrow(1, 1, 4);                 // [4, 4] with row stride 6
        var reshaped = slice.Reshape(shape);
        Assert.True(view == ReferenceEquals(reshaped.Storage, slice.Storage), name);
        Assert.Equal(slice.ToArray(), reshaped.ToArray());
        Assert.Equal(shape, reshaped.ShapeArray());
    }

    [Fact]
    public void TransposedAndBroadcastTensorsKeepTheirElementOrder()
    {
        var t = Ramp(3, 4).Transpose(0, 1);                    // [4, 3], strides [1, 4]
        Assert.Equal(t.ToArray(), t.Reshape(12).ToArray());    // a copy: no strides can express it
        var column = t.Reshape(4, 3, 1);                       // a view
        Assert.Same(t.Storage, column.Storage);
        Assert.Equal(t.ToArray(), column.ToArray());

        var broadcast = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 4).Expand(3, 4);
        var split = broadcast.Reshape(3, 2, 2);
        Assert.Same(broadcast.Storage, split.Storage);
        Assert.Equal(broadcast.ToArray(), split.ToArray());
        Assert.Equal(broadcast.ToArray(), broadcast.Reshape(12).ToArray());
    }

    [Fact]
    public void GradientsFlowThroughAReshapedView()
    {
        var rng = new Rng(4);
        var x = Tensor.Normal([3, 8], rng).RequireGrad();
        var w = Tensor.Normal([3, 2, 3], rng);
        var result = GradCheck.Run(inputs => (inputs[0].Narrow(1, 2, 6).Reshape(3, 2, 3) * w).Sum(), [x]);
        Assert.True(result.Passed, result.Report);
    }
}
