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
        var data = new float[Length];
        Kernels.Softmax.Forward(Contiguous().AsSpan(), outer, n, inner, data, log);
        var y = new Tensor(data, (int[])_shape.Clone());
        return Record(y, name, [this], g =>
        {
            var dx = new float[Length];
            Kernels.Softmax.Backward(y.AsSpan(), g.Contiguous().AsSpan(), outer, n, inner, dx, log);
            return [new Tensor(dx, (int[])_shape.Clone())];
        });
    }
}
