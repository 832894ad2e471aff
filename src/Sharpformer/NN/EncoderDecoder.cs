using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>The encoder and decoder stacks with their final norms (as torch.nn.Transformer, batch-first, without embeddings).</summary>
public sealed class EncoderDecoder : Module
{
    /// <summary>Builds both stacks from <paramref name="config"/>.</summary>
    public EncoderDecoder(TransformerConfig config, Rng rng)
    {
        var c = config;
        Encoder = RegisterModule("encoder", new Encoder(
            Enumerable.Range(0, c.EncoderLayers)
                .Select(_ => new EncoderLayer(c.DModel, c.Heads, c.DimFeedForward, c.Dropout, c.Activation, c.Norm, rng, c.LayerNormEps,
                    c.RotaryBase))
                .ToList(),
            new LayerNorm(c.DModel, c.LayerNormEps)));
        Decoder = RegisterModule("decoder", new Decoder(
            Enumerable.Range(0, c.DecoderLayers)
                .Select(_ => new DecoderLayer(c.DModel, c.Heads, c.DimFeedForward, c.Dropout, c.Activation, c.Norm, rng, c.LayerNormEps,
                    c.RotaryBase))
                .ToList(),
            new LayerNorm(c.DModel, c.LayerNormEps)));
    }

    /// <summary>The encoder stack.</summary>
    public Encoder Encoder { get; }

    /// <summary>The decoder stack.</summary>
    public Decoder Decoder { get; }

    /// <summary>src: [B, S, d_model], tgt: [B, T, d_model] (already embedded) → [B, T, d_model].</summary>
    public Tensor Forward(Tensor src, Tensor tgt, AttentionMask? sourceMask, AttentionMask? targetMask) =>
        Decoder.Forward(tgt, Encoder.Forward(src, sourceMask), targetMask, sourceMask);
}
