namespace Sharpformer.Exercises.Week01;

/// <summary>
/// Week 1: how a tensor's numbers are laid out, and the product everything else is built on (docs/01, docs/02).
/// Arrays are row-major: element (i, j) of an [m, n] matrix is at i·n + j.
/// </summary>
public static class TensorBasics
{
    /// <summary>
    /// The row-major strides of <paramref name="shape"/>: how far apart, in elements, two neighbours along each
    /// dimension are. [2, 3, 4] → [12, 4, 1]; a scalar's shape [] → [].
    /// </summary>
    public static int[] ContiguousStrides(int[] shape) =>
        throw new NotImplementedException("Week 1: write ContiguousStrides (docs/01-tensors.md, 'Storage, shape, strides')");

    /// <summary>
    /// The shape of a ⊕ b under broadcasting: align the shapes from the right; each pair of sizes must be equal or
    /// one of them 1, and the result takes the larger. [3, 1] and [4] → [3, 4]. Throws <see cref="ArgumentException"/>
    /// for shapes that do not broadcast, such as [2, 3] and [4].
    /// </summary>
    public static int[] BroadcastShape(int[] a, int[] b) =>
        throw new NotImplementedException("Week 1: write BroadcastShape (docs/01-tensors.md, 'Broadcasting')");

    /// <summary>
    /// C = A·B for a: [m, k] and b: [k, n], returned as [m, n]. Three loops are enough to pass; the i-k-j order,
    /// which reads B row by row, is the first step towards a fast one (docs/02-gemm.md).
    /// </summary>
    public static float[] MatMul(float[] a, float[] b, int m, int k, int n) =>
        throw new NotImplementedException("Week 1: write MatMul (docs/02-gemm.md)");
}
