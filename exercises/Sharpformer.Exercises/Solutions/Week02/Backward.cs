using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week02;

/// <summary>Week 2 with the library plugged in: its autograd computes each gradient.</summary>
public static class Backward
{
    /// <summary>The backward of y = a ⊙ b.</summary>
    public static (float[] GradA, float[] GradB) Mul(float[] a, float[] b, float[] gradOut)
    {
        var (ta, tb) = (Tensor.FromArray(a).RequireGrad(), Tensor.FromArray(b).RequireGrad());
        ta.Mul(tb).Backward(Tensor.FromArray(gradOut));
        return (ta.Grad!.ToArray(), tb.Grad!.ToArray());
    }

    /// <summary>The backward of Y = A·B.</summary>
    public static (float[] GradA, float[] GradB) MatMul(float[] a, float[] b, float[] gradOut, int m, int k, int n)
    {
        var (ta, tb) = (Tensor.FromArray(a, m, k).RequireGrad(), Tensor.FromArray(b, k, n).RequireGrad());
        ta.MatMul(tb).Backward(Tensor.FromArray(gradOut, m, n));
        return (ta.Grad!.ToArray(), tb.Grad!.ToArray());
    }

    /// <summary>The backward of a row-wise softmax, from its output: x = ln y has softmax(x) = y.</summary>
    public static float[] Softmax(float[] y, float[] gradOut, int rows, int columns)
    {
        var x = Tensor.FromArray(y, rows, columns).Log().Detach().RequireGrad();
        x.Softmax(1).Backward(Tensor.FromArray(gradOut, rows, columns));
        return x.Grad!.ToArray();
    }
}
