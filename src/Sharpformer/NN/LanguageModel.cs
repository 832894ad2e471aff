using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A decoder-only (GPT-style) language model built from the same blocks: token embeddings scaled by
/// √d_model plus sinusoidal positions, a stack of self-attention + feed-forward blocks under the causal
/// mask (no cross-attention), a final norm, and a projection to next-token logits. Parameter names:
/// <c>tgt_embed</c>, <c>decoder.layers.N.*</c>, <c>decoder.norm</c>, <c>generator</c>.
/// </summary>
public sealed class LanguageModel : SequenceModel
{
    private readonly Dropout _dropout;
    private readonly float _embedScale;

    /// <summary>Builds and initializes the model (PyTorch defaults, then Xavier-uniform on every matrix).</summary>
    public LanguageModel(TransformerConfig config, Rng rng)
    {
        config.Validate();
        if (config.Architecture != Architecture.DecoderOnly)
            throw new ArgumentException("LanguageModel: the config describes an encoder-decoder model; use Transformer");
        Config = config;
        _embedScale = MathF.Sqrt(config.DModel);
        Embedding = RegisterModule("tgt_embed", new Embedding(config.TargetVocab, config.DModel, rng));
        PositionalEncoding = RegisterModule("pos_encoding", new SinusoidalPositionalEncoding(config.DModel, config.MaxLength));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng));
        Blocks = RegisterModule("decoder", new Encoder(
            Enumerable.Range(0, config.DecoderLayers)
                .Select(_ => new EncoderLayer(config.DModel, config.Heads, config.DimFeedForward, config.Dropout, config.Activation,
                    config.Norm, rng, config.LayerNormEps, config.RotaryBase))
                .ToList(),
            new LayerNorm(config.DModel, config.LayerNormEps)));
        Generator = RegisterModule("generator",
            new Linear(config.DModel, config.TargetVocab, rng, weight: config.TieOutput ? Embedding.Weight : null));
        foreach (var p in Parameters())
            if (p.Rank > 1) Init.XavierUniform(p, rng);
        if (config.Weights == WeightFormat.Int8) QuantizeInPlace();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> EmbeddingWeights => [Embedding.Weight];

    /// <summary>Token embeddings.</summary>
    public Embedding Embedding { get; }

    /// <summary>The fixed positional encoding.</summary>
    public SinusoidalPositionalEncoding PositionalEncoding { get; }

    /// <summary>The causal blocks with their final norm.</summary>
    public Encoder Blocks { get; }

    /// <inheritdoc/>
    public override Linear Generator { get; }

    /// <summary>tokens: [B, T] ids → next-token logits [B, T, vocabulary] (position t sees tokens 0…t).</summary>
    public Tensor Forward(Tensor tokens, List<Tensor>? weights = null) => Generator.Forward(Hidden(tokens, weights));

    /// <inheritdoc/>
    public override Tensor TeacherForcedHidden(Tensor source, Tensor targetInput) => Hidden(targetInput, null);

    // tokens: [B, T] ids → the last block's normed output [B, T, d_model]
    private Tensor Hidden(Tensor tokens, List<Tensor>? weights)
    {
        if (tokens.Rank != 2)
            throw new ShapeMismatchException($"LanguageModel: expected token ids [B, T], got {Shapes.Format(tokens.Shape)}");
        var mask = AttentionMask.Combine(AttentionMask.Causal(tokens.Size(1)), AttentionMask.KeyPadding(tokens, Config.PadId));
        return Blocks.Forward(_dropout.Forward(StepOps.AddPositions(Config.Positional, PositionalEncoding,
            Embedding.Forward(tokens) * _embedScale)), mask, weights);
    }

    /// <summary>
    /// Incremental generation: tokens: [B] at position cache.Length → logits [B, vocabulary]. Inference
    /// only: the model must not be dropping out (see <see cref="Module.Eval"/>), and nothing is recorded
    /// for gradients.
    /// </summary>
    public Tensor DecodeStep(Tensor tokens, KeyValueCache cache)
    {
        var ids = StepOps.Tokens(tokens);
        var logits = Tensor.Zeros(ids.Length, Config.TargetVocab);
        DecodeStep(ids, cache, logits.AsSpan());
        return logits;
    }

    /// <summary><see cref="DecodeStep(Tensor, KeyValueCache)"/> writing the logits [B·vocabulary] into <paramref name="logits"/>.</summary>
    internal void DecodeStep(ReadOnlySpan<int> tokens, KeyValueCache cache, Span<float> logits)
    {
        StepOps.RequireInference(this, "DecodeStep");
        var s = cache.Buffers(tokens.Length, Config.DModel, Config.DimFeedForward);
        StepOps.Embed(Embedding, _embedScale, PositionalEncoding, Config.Positional, cache.Length, tokens, s.X);
        Blocks.Step(s, cache);
        StepOps.Linear(Generator, s.X, logits, s.Rows);
        cache.Length++;
    }

    /// <summary>An empty cache for <see cref="DecodeStep(Tensor, KeyValueCache)"/>.</summary>
    public KeyValueCache NewCache() => new(Config.DecoderLayers);
}
