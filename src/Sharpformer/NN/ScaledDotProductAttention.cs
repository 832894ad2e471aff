using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k + mask)·V, with optional dropout on the weights.</summary>
public sealed class ScaledDotProductAttention : Module
{
    private readonly Dropout _dropout;

    /// <summary>Attention with dropout probability <paramref name="dropout"/> on the weights (training only).</summary>
    public ScaledDotProductAttention(float dropout, Rng rng) => _dropout = RegisterModule("dropout", new Dropout(dropout, rng));

    /// <summary>
    /// The op every attention module of the process uses: <see cref="AttentionKernel.Auto"/> unless a
    /// benchmark or a test asks for one of the two.
    /// </summary>
    public static AttentionKernel Kernel { get; set; } = AttentionKernel.Auto;

    /// <summary>Up to this many keys <see cref="AttentionKernel.Auto"/> uses the op that stores the probabilities.</summary>
    public const int ShortKeys = 128;

    /// <summary>
    /// q: [B, H, T, d], k: [B, H, S, d], v: [B, H, S, d_v] → output [B, H, T, d_v] and, on request, the
    /// attention weights [B, H, T, S] (before dropout); B, or B and H, may be left out. Past
    /// <see cref="ShortKeys"/> keys computed in tiles (<see cref="Tensor.FlashAttention"/>), whose memory grows
    /// linearly with the length; otherwise, or when the weights are asked for, by the op that stores them
    /// (<see cref="Tensor.Attention"/>). Both drop the same elements.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor q, Tensor k, Tensor v, AttentionMask? mask = null, bool returnWeights = false)
    {
        float p = _dropout.IsTraining ? _dropout.P : 0f;
        bool tiled = Kernel == AttentionKernel.Flash || (Kernel == AttentionKernel.Auto && k.Size(-2) > ShortKeys);
        if (returnWeights || !tiled)
            return Tensor.Attention(q, k, v, mask?.Additive, p, p > 0f ? _dropout.KeySource : null, returnWeights);
        return (Tensor.FlashAttention(q, k, v, mask?.Bias, mask?.IsCausal ?? false, p, p > 0f ? _dropout.KeySource : null), null);
    }

    /// <summary>The dropout on the weights, whose key a tensor-parallel rank salts (its heads are its own).</summary>
    internal Dropout Dropout => _dropout;
}
