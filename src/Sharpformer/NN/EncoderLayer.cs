using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// One encoder layer: self-attention then the feed-forward block, each wrapped in a residual connection
/// and a layer norm (placed after or before, see <see cref="NormPlacement"/>). Parameter names match
/// torch.nn.TransformerEncoderLayer.
/// </summary>
public sealed class EncoderLayer : Module
{
    private readonly Dropout _dropout1, _dropout2;

    /// <summary>
    /// A layer of width <paramref name="dModel"/>; with <paramref name="ropeBase"/> its self-attention rotates
    /// queries and keys by position (RoPE).
    /// </summary>
    public EncoderLayer(int dModel, int heads, int dFF, float dropout, ActivationKind activation, NormPlacement norm, Rng rng,
        float eps = 1e-5f, float? ropeBase = null)
    {
        Norm = norm;
        SelfAttention = RegisterModule("self_attn", new MultiHeadAttention(dModel, heads, dropout, rng, ropeBase));
        FeedForward = RegisterModule("", new FeedForward(dModel, dFF, activation, dropout, rng));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, eps));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, eps));
        _dropout1 = RegisterModule("dropout1", new Dropout(dropout, rng));
        _dropout2 = RegisterModule("dropout2", new Dropout(dropout, rng));
    }

    /// <summary>Post- or pre-norm.</summary>
    public NormPlacement Norm { get; }

    /// <summary>The self-attention sublayer.</summary>
    public MultiHeadAttention SelfAttention { get; }

    /// <summary>The position-wise feed-forward sublayer (its linear1/linear2 sit at this layer's level in names).</summary>
    public FeedForward FeedForward { get; }

    /// <summary>Norm around self-attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Norm around the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>x: [B, S, d_model], mask over source keys → [B, S, d_model], and the self-attention weights on request.</summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor x, AttentionMask? mask = null, bool returnWeights = false)
    {
        Tensor? weights;
        int mark = TensorArena.Mark();
        if (Norm == NormPlacement.Post)
        {
            (var attended, weights) = SelfAttention.Forward(x, x, x, mask, returnWeights);
            x = Norm1.ForwardAdd(x, attended, _dropout1);
            x = Norm2.ForwardAdd(x, FeedForward.Forward(x), _dropout2);
        }
        else
        {
            var h = Norm1.Forward(x);
            (var attended, weights) = SelfAttention.Forward(h, h, h, mask, returnWeights);
            x = x + _dropout1.Forward(attended);
            x = x + _dropout2.Forward(FeedForward.Forward(Norm2.Forward(x)));
        }
        return (TensorArena.PackSince(mark, x), weights);   // bf16: what the backward pass needs waits packed
    }

    /// <summary>
    /// One new position of a causal stack (a decoder-only model): x: [B, 1, d_model], attending to the
    /// positions in <paramref name="cache"/>, which it extends. Computed at inference: no dropout,
    /// nothing recorded for gradients.
    /// </summary>
    public Tensor ForwardStep(Tensor x, AttentionCache cache)
    {
        StepOps.RequireInference(this, "EncoderLayer");
        var buffers = StepOps.Input(x, Norm1.Weight.Length, FeedForward.Linear1.OutFeatures);
        Step(buffers, cache);
        return StepOps.Output(buffers.X, buffers);
    }

    // The step on the buffers' residual stream X: [B, d_model], in place.
    internal void Step(StepBuffers s, AttentionCache cache)
    {
        if (Norm == NormPlacement.Post)
        {
            SelfAttention.SelfStep(s.X, s.Sublayer, cache, s);
            StepOps.AddNorm(Norm1, s);
            StepOps.FeedForward(FeedForward, s.X, s.Sublayer, s);
            StepOps.AddNorm(Norm2, s);
            return;
        }
        StepOps.Norm(Norm1, s.X, s.Normed, s);
        SelfAttention.SelfStep(s.Normed, s.Sublayer, cache, s);
        StepOps.AddResidual(s);
        StepOps.Norm(Norm2, s.X, s.Normed, s);
        StepOps.FeedForward(FeedForward, s.Normed, s.Sublayer, s);
        StepOps.AddResidual(s);
    }
}
