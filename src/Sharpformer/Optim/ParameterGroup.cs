using Sharpformer.Tensors;

namespace Sharpformer.Optim;

/// <summary>Parameters that share optimizer settings (e.g. no weight decay on biases and norms).</summary>
public sealed class ParameterGroup(IEnumerable<Tensor> parameters, float? weightDecay = null, float lrScale = 1f)
{
    /// <summary>The tensors this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; } = [.. parameters];

    /// <summary>This group's weight decay, or null for the optimizer's default.</summary>
    public float? WeightDecay { get; } = weightDecay;

    /// <summary>Multiplies the optimizer's learning rate for this group.</summary>
    public float LrScale { get; } = lrScale;
}
