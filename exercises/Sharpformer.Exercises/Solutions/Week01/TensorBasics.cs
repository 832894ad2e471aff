using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week01;

/// <summary>Week 1 with the library plugged in: what the graders accept.</summary>
public static class TensorBasics
{
    /// <summary>The row-major strides of <paramref name="shape"/>.</summary>
    public static int[] ContiguousStrides(int[] shape) => Shapes.ContiguousStrides(shape);

    /// <summary>The shape of a ⊕ b under broadcasting.</summary>
    public static int[] BroadcastShape(int[] a, int[] b) => Shapes.Broadcast(a, b, "BroadcastShape");

    /// <summary>C = A·B for a: [m, k] and b: [k, n].</summary>
    public static float[] MatMul(float[] a, float[] b, int m, int k, int n) =>
        Tensor.FromArray(a, m, k).MatMul(Tensor.FromArray(b, k, n)).ToArray();
}
