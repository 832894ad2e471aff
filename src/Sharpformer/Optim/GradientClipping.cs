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
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"ClipByGlobalNorm: max norm {maxNorm} must be positive");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sumSquares = 0;
        foreach (var g in grads)
            foreach (float v in g.AsSpan()) sumSquares += (double)v * v; // gradients are dense: made by Clone or Add
        float norm = (float)Math.Sqrt(sumSquares);
        float coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient < 1f)
            foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g.AsSpan(), coefficient, g.AsSpan());
        return norm;
    }
}
