using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Layer normalization over the last dimension with a learned scale and shift, as torch.nn.LayerNorm.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Normalizes vectors of width <paramref name="dim"/>; weight starts at 1, bias at 0.</summary>
    public LayerNorm(int dim, float eps = 1e-5f)
    {
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones(dim));
        Bias = RegisterParameter("bias", Tensor.Zeros(dim));
    }

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>γ: [dim].</summary>
    public Tensor Weight { get; }

    /// <summary>β: [dim].</summary>
    public Tensor Bias { get; }

    /// <summary>x: [..., dim] → same shape.</summary>
    public Tensor Forward(Tensor x) => x.LayerNorm(Weight, Bias, Eps);

    /// <summary>
    /// A post-norm layer's "Add &amp; Norm": residual, sublayer: [..., dim] → LayerNorm(residual + dropout(sublayer)), in one
    /// fused op (<see cref="Tensor.AddNorm"/>); <paramref name="dropout"/> drops as its own Forward would (not in evaluation).
    /// </summary>
    public Tensor ForwardAdd(Tensor residual, Tensor sublayer, Dropout dropout)
    {
        float p = dropout.IsTraining ? dropout.P : 0f;
        return residual.AddNorm(sublayer, Weight, Bias, Eps, p, p > 0f ? dropout.KeySource : null);
    }
}
