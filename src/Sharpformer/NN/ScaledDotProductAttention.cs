using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k + mask)·V, with optional dropout on the weights.</summary>
public sealed class ScaledDotProductAttention : Module
{
    private readonly Dropout _dropout;

    /// <summary>Attention with dropout probability <paramref name="dropout"/> on the weights (training only).</summary>
    public ScaledDotProductAttention(float dropout, Rng rng) => _dropout = RegisterModule("dropout", new Dropout(dropout, rng));

    /// <summary>
    /// q: [..., T, d], k: [..., S, d], v: [..., S, d_v] → output [..., T, d_v] and, on request, the
    /// attention weights [..., T, S] (before dropout).
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor q, Tensor k, Tensor v, AttentionMask? mask = null, bool returnWeights = false)
    {
        int d = q.Size(-1);
        var scores = q.MatMul(k.Transpose(-2, -1)) * (1f / MathF.Sqrt(d)); // [..., T, S]
        if (mask is not null) scores = scores + mask.Additive;
        var weights = scores.Softmax(-1);
        var output = _dropout.Forward(weights).MatMul(v);                      // [..., T, d_v]
        return (output, returnWeights ? weights.Detach() : null);
    }
}
