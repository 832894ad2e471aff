using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Attention weights of one forward pass, per layer, each [B, heads, T_query, T_key].</summary>
public sealed record TransformerAttention(IReadOnlyList<Tensor> Encoder, IReadOnlyList<DecoderAttention> Decoder);

/// <summary>
/// The encoder-decoder Transformer of "Attention Is All You Need": token embeddings scaled by √d_model
/// plus sinusoidal positions (with dropout), the encoder and decoder stacks, and a linear projection to
/// target-vocabulary logits. Parameter names follow torch.nn.Transformer under <c>transformer.</c>,
/// plus <c>src_embed</c>, <c>tgt_embed</c> and <c>generator</c>.
/// </summary>
public sealed class Transformer : SequenceModel
{
    private readonly Dropout _sourceDropout, _targetDropout;
    private readonly float _embedScale;

    /// <summary>Builds the model and initializes it: PyTorch defaults, then Xavier-uniform on every matrix.</summary>
    public Transformer(TransformerConfig config, Rng rng)
    {
        config.Validate();
        if (config.Architecture != Architecture.EncoderDecoder)
            throw new ArgumentException("Transformer: the config describes a decoder-only model; use LanguageModel");
        Config = config;
        _embedScale = MathF.Sqrt(config.DModel);
        SourceEmbedding = RegisterModule("src_embed", new Embedding(config.SourceVocab, config.DModel, rng));
        TargetEmbedding = config.ShareEmbeddings ? SourceEmbedding : new Embedding(config.TargetVocab, config.DModel, rng);
        RegisterModule("tgt_embed", TargetEmbedding);
        PositionalEncoding = RegisterModule("pos_encoding", new SinusoidalPositionalEncoding(config.DModel, config.MaxLength));
        _sourceDropout = RegisterModule("src_dropout", new Dropout(config.Dropout, rng));
        _targetDropout = RegisterModule("tgt_dropout", new Dropout(config.Dropout, rng));
        Core = RegisterModule("transformer", new EncoderDecoder(config, rng));
        Generator = RegisterModule("generator",
            new Linear(config.DModel, config.TargetVocab, rng, weight: config.TieOutput ? TargetEmbedding.Weight : null));
        foreach (var p in Parameters())
            if (p.Rank > 1) Init.XavierUniform(p, rng);
        if (config.Weights == WeightFormat.Int8) QuantizeInPlace();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> EmbeddingWeights => [SourceEmbedding.Weight, TargetEmbedding.Weight];

    /// <summary>Source token embeddings.</summary>
    public Embedding SourceEmbedding { get; }

    /// <summary>Target token embeddings (the source's when shared).</summary>
    public Embedding TargetEmbedding { get; }

    /// <summary>The fixed positional encoding (its <see cref="SinusoidalPositionalEncoding.Table"/> is the matrix to picture).</summary>
    public SinusoidalPositionalEncoding PositionalEncoding { get; }

    /// <summary>The encoder and decoder stacks.</summary>
    public EncoderDecoder Core { get; }

    /// <inheritdoc/>
    public override Linear Generator { get; }

    /// <summary>src: [B, S] and tgt: [B, T] token ids → logits [B, T, target vocabulary], with padding and causal masks.</summary>
    public Tensor Forward(Tensor src, Tensor tgt) => ForwardCore(src, tgt, null, null);

    /// <inheritdoc/>
    public override Tensor TeacherForcedHidden(Tensor source, Tensor targetInput) => Hidden(source, targetInput, null, null);

    /// <summary>The forward pass that also returns every layer's attention weights per head (for pictures).</summary>
    public (Tensor Logits, TransformerAttention Attention) ForwardWithAttention(Tensor src, Tensor tgt)
    {
        var encoder = new List<Tensor>();
        var decoder = new List<DecoderAttention>();
        var logits = ForwardCore(src, tgt, encoder, decoder);
        return (logits, new TransformerAttention(encoder, decoder));
    }

    /// <summary>src: [B, S] ids → memory [B, S, d_model].</summary>
    public Tensor Encode(Tensor src, List<Tensor>? weights = null) =>
        Core.Encoder.Forward(Embed(SourceEmbedding, _sourceDropout, src), SourceMask(src), weights);

    /// <summary>tgt: [B, T] ids and the memory of src → logits [B, T, target vocabulary].</summary>
    public Tensor Decode(Tensor tgt, Tensor memory, Tensor src, List<DecoderAttention>? weights = null) =>
        Generator.Forward(DecoderHidden(tgt, memory, src, weights));

    private Tensor DecoderHidden(Tensor tgt, Tensor memory, Tensor src, List<DecoderAttention>? weights) =>
        Core.Decoder.Forward(Embed(TargetEmbedding, _targetDropout, tgt), memory, TargetMask(tgt), SourceMask(src), weights);

    /// <summary>
    /// Incremental decoding: the next token of each row, tokens: [B] ids at position cache.Length → logits
    /// [B, target vocabulary]. Equals the last position of <see cref="Decode"/> on the whole prefix.
    /// Inference only: the model must not be dropping out (see <see cref="Module.Eval"/>), and nothing
    /// is recorded for gradients.
    /// </summary>
    public Tensor DecodeStep(Tensor tokens, Tensor memory, AttentionMask? sourceMask, KeyValueCache cache)
    {
        var ids = StepOps.Tokens(tokens);
        var logits = Tensor.Zeros(ids.Length, Config.TargetVocab);
        DecodeStep(ids, memory, sourceMask, cache, logits.AsSpan());
        return logits;
    }

    /// <summary>
    /// <see cref="DecodeStep(Tensor, Tensor, AttentionMask?, KeyValueCache)"/> writing the logits
    /// [B·vocabulary] into <paramref name="logits"/>.
    /// </summary>
    internal void DecodeStep(ReadOnlySpan<int> tokens, Tensor memory, AttentionMask? sourceMask, KeyValueCache cache, Span<float> logits)
    {
        StepOps.RequireInference(this, "DecodeStep");
        var s = cache.Buffers(tokens.Length, Config.DModel, Config.DimFeedForward);
        StepOps.Embed(TargetEmbedding, _embedScale, PositionalEncoding, Config.Positional, cache.Length, tokens, s.X);
        Core.Decoder.Step(s, memory, cache, sourceMask);
        StepOps.Linear(Generator, s.X, logits, s.Rows);
        cache.Length++;
    }

    /// <summary>An empty cache for <see cref="DecodeStep(Tensor, Tensor, AttentionMask?, KeyValueCache)"/>.</summary>
    public KeyValueCache NewCache() => new(Config.DecoderLayers);

    /// <summary>Blocks source padding keys: [B, 1, 1, S].</summary>
    public AttentionMask SourceMask(Tensor src) => AttentionMask.KeyPadding(src, Config.PadId);

    /// <summary>Blocks future positions and target padding keys.</summary>
    public AttentionMask TargetMask(Tensor tgt) =>
        AttentionMask.Combine(AttentionMask.Causal(tgt.Size(1)), AttentionMask.KeyPadding(tgt, Config.PadId))!;

    private Tensor ForwardCore(Tensor src, Tensor tgt, List<Tensor>? encoderWeights, List<DecoderAttention>? decoderWeights) =>
        Generator.Forward(Hidden(src, tgt, encoderWeights, decoderWeights));

    // src: [B, S], tgt: [B, T] → the decoder's output [B, T, d_model]
    private Tensor Hidden(Tensor src, Tensor tgt, List<Tensor>? encoderWeights, List<DecoderAttention>? decoderWeights)
    {
        if (src.Rank != 2 || tgt.Rank != 2 || src.Size(0) != tgt.Size(0))
            throw new ShapeMismatchException($"Transformer: expected source [B, S] and target [B, T] token ids, " +
                                             $"got {Shapes.Format(src.Shape)} and {Shapes.Format(tgt.Shape)}");
        var memory = Encode(src, encoderWeights);
        return DecoderHidden(tgt, memory, src, decoderWeights);
    }

    // ids: [B, L] → dropout(embedding·√d_model + PE): [B, L, d_model] (no PE with RoPE)
    private Tensor Embed(Embedding embedding, Dropout dropout, Tensor ids) =>
        dropout.Forward(StepOps.AddPositions(Config.Positional, PositionalEncoding, embedding.Forward(ids) * _embedScale));
}
