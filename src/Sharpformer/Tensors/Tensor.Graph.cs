using Sharpformer.Autograd;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Records <paramref name="result"/> as made by op <paramref name="name"/> from <paramref name="inputs"/>,
    /// if grad mode is on and any input requires grad. <paramref name="backward"/> maps dL/dresult to
    /// dL/dinput for each input (null where not needed).
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled) return result;
        if (OpProfiler.Enabled) OpProfiler.Forward(name);
        foreach (var t in inputs)
            if (t.RequiresGrad) return result.WithGradFn(new Node(name, inputs, backward));
        return result;
    }

    /// <summary>
    /// Sums a broadcast gradient back down to <paramref name="shape"/>: over leading dimensions that
    /// broadcasting added, and over dimensions where <paramref name="shape"/> has size 1.
    /// </summary>
    internal Tensor SumToShape(ReadOnlySpan<int> shape)
    {
        if (Shape.SequenceEqual(shape)) return this;
        var g = this;
        int extra = g.Rank - shape.Length;
        for (int i = 0; i < extra; i++) g = g.Sum(0);
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 1 && g._shape[i] != 1) g = g.Sum(i, keepDim: true);
        return g;
    }

    /// <summary>Strides that read this tensor as if broadcast to <paramref name="shape"/> (0 on broadcast dimensions).</summary>
    internal int[] BroadcastStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int lead = shape.Length - Rank;
        for (int i = 0; i < Rank; i++)
            strides[lead + i] = _shape[i] == 1 && shape[lead + i] != 1 ? 0 : _strides[i];
        return strides;
    }
}
