namespace Sharpformer.Exercises.Week02;

/// <summary>
/// Week 2: each op owns its backward (docs/03). Given the inputs of an op and dL/d(output), return dL/d(each input).
/// Arrays are row-major.
/// </summary>
public static class Backward
{
    /// <summary>
    /// y = a ⊙ b (elementwise, a and b of the same shape): dL/da and dL/db from <paramref name="gradOut"/> = dL/dy.
    /// </summary>
    public static (float[] GradA, float[] GradB) Mul(float[] a, float[] b, float[] gradOut) =>
        throw new NotImplementedException("Week 2: write the backward of Mul (docs/03-autograd.md)");

    /// <summary>
    /// Y = A·B with a: [m, k], b: [k, n] and <paramref name="gradOut"/> = dL/dY: [m, n]. The shapes tell you the
    /// answer: dL/dA must be [m, k] and dL/dB [k, n].
    /// </summary>
    public static (float[] GradA, float[] GradB) MatMul(float[] a, float[] b, float[] gradOut, int m, int k, int n) =>
        throw new NotImplementedException("Week 2: write the backward of MatMul (docs/03-autograd.md)");

    /// <summary>
    /// y = softmax(x) along each row of a [rows, columns] matrix. From the output <paramref name="y"/> and
    /// <paramref name="gradOut"/> = dL/dy, return dL/dx (you do not need x: the Jacobian is diag(y) − y·yᵀ per row).
    /// </summary>
    public static float[] Softmax(float[] y, float[] gradOut, int rows, int columns) =>
        throw new NotImplementedException("Week 2: write the backward of Softmax (docs/03-autograd.md, docs/05-attention.md)");
}
