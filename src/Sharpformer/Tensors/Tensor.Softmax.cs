namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>exp(x) / Σ exp(x) along <paramref name="axis"/>, computed stably.</summary>
    public Tensor Softmax(int axis) => SoftmaxCore(axis, log: false);

    /// <summary>x − log Σ exp(x) along <paramref name="axis"/>, computed stably.</summary>
    public Tensor LogSoftmax(int axis) => SoftmaxCore(axis, log: true);

    private Tensor SoftmaxCore(int axis, bool log)
    {
        string name = log ? "LogSoftmax" : "Softmax";
        int d = Shapes.NormalizeAxis(axis, Rank, name);
        var (outer, n, inner) = Kernels.Reductions.Split(_shape, d);
        var y = Allocate(ShapeArray(), zeroed: false);
        Kernels.Softmax.Forward(Contiguous().AsSpan(), outer, n, inner, y.AsSpan(), log);
        return Record(y, name, [this], g =>
        {
            var dx = Allocate(ShapeArray(), zeroed: false);
            Kernels.Softmax.Backward(y.AsSpan(), g.Contiguous().AsSpan(), outer, n, inner, dx.AsSpan(), log);
            return [dx];
        });
    }
}
