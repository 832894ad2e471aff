using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>The attention weights one decoder layer produced: its masked self-attention and its cross-attention.</summary>
public sealed record DecoderAttention(Tensor? SelfAttention, Tensor? CrossAttention);

/// <summary>
/// One decoder layer: masked self-attention, cross-attention over the encoder output (memory), then the
/// feed-forward block, each with a residual connection and a layer norm. Parameter names match
/// torch.nn.TransformerDecoderLayer.
/// </summary>
public sealed class DecoderLayer : Module
{
    private readonly Dropout _dropout1, _dropout2, _dropout3;

    /// <summary>
    /// A layer of width <paramref name="dModel"/>; with <paramref name="ropeBase"/> its self-attention rotates
    /// queries and keys by position (RoPE).
    /// </summary>
    public DecoderLayer(int dModel, int heads, int dFF, float dropout, ActivationKind activation, NormPlacement norm, Rng rng,
        float eps = 1e-5f, float? ropeBase = null)
    {
        Norm = norm;
        SelfAttention = RegisterModule("self_attn", new MultiHeadAttention(dModel, heads, dropout, rng, ropeBase));
        CrossAttention = RegisterModule("multihead_attn", new MultiHeadAttention(dModel, heads, dropout, rng));
        FeedForward = RegisterModule("", new FeedForward(dModel, dFF, activation, dropout, rng));
        Norm1 = RegisterModule("norm1", new LayerNorm(dModel, eps));
        Norm2 = RegisterModule("norm2", new LayerNorm(dModel, eps));
        Norm3 = RegisterModule("norm3", new LayerNorm(dModel, eps));
        _dropout1 = RegisterModule("dropout1", new Dropout(dropout, rng));
        _dropout2 = RegisterModule("dropout2", new Dropout(dropout, rng));
        _dropout3 = RegisterModule("dropout3", new Dropout(dropout, rng));
    }

    /// <summary>Post- or pre-norm.</summary>
    public NormPlacement Norm { get; }

    /// <summary>Masked self-attention over the target prefix.</summary>
    public MultiHeadAttention SelfAttention { get; }

    /// <summary>Attention from target positions to the encoder output.</summary>
    public MultiHeadAttention CrossAttention { get; }

    /// <summary>The position-wise feed-forward sublayer.</summary>
    public FeedForward FeedForward { get; }

    /// <summary>Norm around self-attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Norm around cross-attention.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Norm around the feed-forward block.</summary>
    public LayerNorm Norm3 { get; }

    /// <summary>
    /// x: [B, T, d_model], memory: [B, S, d_model]; <paramref name="targetMask"/> (causal and target
    /// padding) and <paramref name="memoryMask"/> (source padding) → [B, T, d_model].
    /// </summary>
    public (Tensor Output, DecoderAttention Weights) Forward(Tensor x, Tensor memory, AttentionMask? targetMask = null,
        AttentionMask? memoryMask = null, bool returnWeights = false)
    {
        Tensor? self, cross;
        int mark = TensorArena.Mark();
        if (Norm == NormPlacement.Post)
        {
            (var a, self) = SelfAttention.Forward(x, x, x, targetMask, returnWeights);
            x = Norm1.ForwardAdd(x, a, _dropout1);
            (var c, cross) = CrossAttention.Forward(x, memory, memory, memoryMask, returnWeights);
            x = Norm2.ForwardAdd(x, c, _dropout2);
            x = Norm3.ForwardAdd(x, FeedForward.Forward(x), _dropout3);
        }
        else
        {
            var h = Norm1.Forward(x);
            (var a, self) = SelfAttention.Forward(h, h, h, targetMask, returnWeights);
            x = x + _dropout1.Forward(a);
            (var c, cross) = CrossAttention.Forward(Norm2.Forward(x), memory, memory, memoryMask, returnWeights);
            x = x + _dropout2.Forward(c);
            x = x + _dropout3.Forward(FeedForward.Forward(Norm3.Forward(x)));
        }
        return (TensorArena.PackSince(mark, x), new DecoderAttention(self, cross));   // bf16: the saved activations wait packed
    }

    /// <summary>
    /// One new position during incremental decoding: x: [B, 1, d_model] → [B, 1, d_model], with the
    /// layer's self- and cross-attention caches (the same computation as <see cref="Forward"/> on the
    /// whole prefix, at inference: no dropout, nothing recorded for gradients).
    /// </summary>
    public Tensor ForwardStep(Tensor x, Tensor memory, AttentionCache self, AttentionCache cross, AttentionMask? memoryMask)
    {
        StepOps.RequireInference(this, "DecoderLayer");
        var buffers = StepOps.Input(x, Norm1.Weight.Length, FeedForward.Linear1.OutFeatures);
        Step(buffers, memory, self, cross, memoryMask);
        return StepOps.Output(buffers.X, buffers);
    }

    // The step on the buffers' residual stream X: [B, d_model], in place.
    internal void Step(StepBuffers s, Tensor memory, AttentionCache self, AttentionCache cross, AttentionMask? memoryMask)
    {
        if (Norm == NormPlacement.Post)
        {
            SelfAttention.SelfStep(s.X, s.Sublayer, self, s);
            StepOps.AddNorm(Norm1, s);
            CrossAttention.CrossStep(s.X, s.Sublayer, memory, cross, memoryMask, s);
            StepOps.AddNorm(Norm2, s);
            StepOps.FeedForward(FeedForward, s.X, s.Sublayer, s);
            StepOps.AddNorm(Norm3, s);
            return;
        }
        StepOps.Norm(Norm1, s.X, s.Normed, s);
        SelfAttention.SelfStep(s.Normed, s.Sublayer, self, s);
        StepOps.AddResidual(s);
        StepOps.Norm(Norm2, s.X, s.Normed, s);
        CrossAttention.CrossStep(s.Normed, s.Sublayer, memory, cross, memoryMask, s);
        StepOps.AddResidual(s);
        StepOps.Norm(Norm3, s.X, s.Normed, s);
        StepOps.FeedForward(FeedForward, s.Normed, s.Sublayer, s);
        StepOps.AddResidual(s);
    }
}
