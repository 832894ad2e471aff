using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>A stack of decoder layers and an optional final layer norm (as torch.nn.TransformerDecoder).</summary>
public sealed class Decoder : Module
{
    /// <summary>Stacks <paramref name="layers"/>; <paramref name="finalNorm"/> normalizes the output.</summary>
    public Decoder(IEnumerable<DecoderLayer> layers, LayerNorm? finalNorm)
    {
        Layers = RegisterModule("layers", new ModuleList<DecoderLayer>(layers));
        if (finalNorm is not null) FinalNorm = RegisterModule("norm", finalNorm);
    }

    /// <summary>The layers, input first.</summary>
    public ModuleList<DecoderLayer> Layers { get; }

    /// <summary>The norm after the last layer, if any.</summary>
    public LayerNorm? FinalNorm { get; }

    /// <summary>
    /// x: [B, T, d_model], memory: [B, S, d_model] → [B, T, d_model]; with <paramref name="weights"/>, each
    /// layer's attention weights are added to it.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor memory, AttentionMask? targetMask = null, AttentionMask? memoryMask = null,
        List<DecoderAttention>? weights = null)
    {
        foreach (var layer in Layers.Items)
        {
            (x, var w) = layer.Forward(x, memory, targetMask, memoryMask, weights is not null);
            weights?.Add(w);
        }
        return FinalNorm?.Forward(x) ?? x;
    }

    /// <summary>
    /// One new position: x: [B, 1, d_model] → [B, 1, d_model], reading and extending <paramref name="cache"/>
    /// (at inference: no dropout, nothing recorded for gradients).
    /// </summary>
    public Tensor ForwardStep(Tensor x, Tensor memory, KeyValueCache cache, AttentionMask? memoryMask)
    {
        StepOps.RequireInference(this, "Decoder");
        var buffers = StepOps.Input(x, x.Size(-1), Layers.Count == 0 ? 0 : Layers[0].FeedForward.Linear1.OutFeatures);
        Step(buffers, memory, cache, memoryMask);
        return StepOps.Output(buffers.X, buffers);
    }

    // The step on the buffers' residual stream X: [B, d_model], in place.
    internal void Step(StepBuffers s, Tensor memory, KeyValueCache cache, AttentionMask? memoryMask)
    {
        for (int i = 0; i < Layers.Count; i++) Layers[i].Step(s, memory, cache.Self[i], cache.Cross[i], memoryMask);
        if (FinalNorm is not null) StepOps.NormInPlace(FinalNorm, s);
    }
}
