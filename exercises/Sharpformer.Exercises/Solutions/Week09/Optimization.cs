using Sharpformer.Optim;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week09;

/// <summary>Week 9 with the library plugged in: its fused cross-entropy and its AdamW.</summary>
public static class Optimization
{
    /// <summary>The mean label-smoothed cross-entropy.</summary>
    public static float CrossEntropy(float[] logits, int[] targets, int rows, int classes, float smoothing) =>
        Losses.CrossEntropy.Loss(Tensor.FromArray(logits, rows, classes), Tensor.FromArray([.. targets.Select(t => (float)t)]),
            labelSmoothing: smoothing).Item();

    /// <summary>AdamW, one step per gradient: Σ p·g has gradient g, so each backward hands the optimizer that step's g.</summary>
    public static float[] AdamW(float[] initial, float[][] gradients, float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        var parameters = Tensor.FromArray([.. initial]).RequireGrad();
        var optimizer = Adam.AdamW([new ParameterGroup([parameters])], lr, beta1, beta2, eps, weightDecay);
        foreach (var gradient in gradients)
        {
            parameters.Mul(Tensor.FromArray(gradient)).Sum().Backward();
            optimizer.Step();
            parameters.ZeroGrad();
        }
        return parameters.ToArray();
    }
}
