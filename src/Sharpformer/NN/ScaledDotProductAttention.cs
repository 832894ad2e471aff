using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k + mask)·V, with optional dropout on the weights.</summary>
public sealed class ScaledDotProductAttention : Module
{
    private readonly Dropout _dropout;

    /// <summary>Attention with dropout probability <paramref name="dropout"/> on the weights (training only).</summary>
    public ScaledDotProductAttention(float dropout, Rng rng) => _dropout = RegisterModule("dropout", new Dropout(dropout, rng));

    /// <summary>
    /// The op every attention module of the process uses: <see cref="AttentionKernel.Flash"/> unless a
    /// benchmark or a test compares it with the reference.
    /// </summary>
    public static AttentionKernel Kernel { get; set; } = AttentionKernel.Flash;

    /// <summary>
    /// q: [B, H, T, d], k: [B, H, S, d], v: [B, H, S, d_v] → output [B, H, T, d_v] and, on request, the
    /// attention weights [B, H, T, S] (before dropout); B, or B and H, may be left out. Computed in tiles
    /// (<see cref="Tensor.FlashAttention"/>), whose memory grows linearly with the length; when the weights
    /// are asked for, by the op that stores them (<see cref="Tensor.Attention"/>). Both drop the same elements.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor q, Tensor k, Tensor v, AttentionMask? mask = null, bool returnWeights = false)
    {
        float p = _dropout.IsTraining ? _dropout.P : 0f;
        if (returnWeights || Kernel == AttentionKernel.Reference)
            return Tensor.Attention(q, k, v, mask?.Additive, p, _dropout.Rng, returnWeights);
        return (Tensor.FlashAttention(q, k, v, mask?.Bias, mask?.IsCausal ?? false, p, _dropout.Rng), null);
    }
}
