using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>A stack of encoder layers and an optional final layer norm (as torch.nn.TransformerEncoder).</summary>
public sealed class Encoder : Module
{
    /// <summary>Stacks <paramref name="layers"/>; <paramref name="finalNorm"/> normalizes the output.</summary>
    public Encoder(IEnumerable<EncoderLayer> layers, LayerNorm? finalNorm)
    {
        Layers = RegisterModule("layers", new ModuleList<EncoderLayer>(layers));
        if (finalNorm is not null) FinalNorm = RegisterModule("norm", finalNorm);
    }

    /// <summary>The layers, input first.</summary>
    public ModuleList<EncoderLayer> Layers { get; }

    /// <summary>The norm after the last layer, if any.</summary>
    public LayerNorm? FinalNorm { get; }

    /// <summary>
    /// x: [B, S, d_model] → memory [B, S, d_model]; with <paramref name="weights"/>, each layer's
    /// self-attention weights are added to it.
    /// </summary>
    public Tensor Forward(Tensor x, AttentionMask? mask = null, List<Tensor>? weights = null)
    {
        foreach (var layer in Layers.Items)
        {
            (x, var w) = layer.Forward(x, mask, weights is not null);
            if (w is not null) weights!.Add(w);
        }
        return FinalNorm?.Forward(x) ?? x;
    }

    /// <summary>
    /// One new position of a causal stack: x: [B, 1, d_model], reading and extending the self-attention
    /// caches (at inference: no dropout, nothing recorded for gradients).
    /// </summary>
    public Tensor ForwardStep(Tensor x, KeyValueCache cache)
    {
        StepOps.RequireInference(this, "Encoder");
        var buffers = StepOps.Input(x, x.Size(-1), Layers.Count == 0 ? 0 : Layers[0].FeedForward.Linear1.OutFeatures);
        Step(buffers, cache);
        return StepOps.Output(buffers.X, buffers);
    }

    // The step on the buffers' residual stream X: [B, d_model], in place.
    internal void Step(StepBuffers s, KeyValueCache cache)
    {
        for (int i = 0; i < Layers.Count; i++) Layers[i].Step(s, cache.Self[i]);
        if (FinalNorm is not null) StepOps.NormInPlace(FinalNorm, s);
    }
}
