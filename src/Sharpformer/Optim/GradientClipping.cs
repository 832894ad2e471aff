using Sharpformer.Tensors;

namespace Sharpformer.Optim;

/// <summary>Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the L2 norm of every
    /// gradient taken together, and returns ‖g‖ before clipping (non-finite if any gradient is).
    /// </summary>
    public static float ClipByGlobalNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipByGlobalNorm: max norm {maxNorm} must be positive");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        float norm = GlobalNorm(grads);
        ScaleToNorm(grads, maxNorm, norm);
        return norm;
    }

    /// <summary>
    /// Scales <paramref name="gradients"/> by min(1, maxNorm / (norm + 1e-6)) for a <paramref name="norm"/> computed
    /// elsewhere (over several processes, for a model split across them).
    /// </summary>
    public static void ScaleToNorm(IEnumerable<Tensor> gradients, float maxNorm, float norm)
    {
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ScaleToNorm: max norm {maxNorm} must be positive");
        float coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient < 1f)
            foreach (var g in gradients) System.Numerics.Tensors.TensorPrimitives.Multiply(g.AsSpan(), coefficient, g.AsSpan());
    }

    /// <summary>‖g‖: the L2 norm of all the gradients together (gradients are dense: made by Clone or Add).</summary>
    public static float GlobalNorm(IEnumerable<Tensor> gradients)
    {
        double sumSquares = 0;
        foreach (var g in gradients)
        {
            var values = g.AsSpan();
            for (int start = 0; start < values.Length; start += 4096)   // float sums of short runs, added in double
                sumSquares += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(
                    values.Slice(start, Math.Min(4096, values.Length - start)));
        }
        return (float)Math.Sqrt(sumSquares);
    }
}
