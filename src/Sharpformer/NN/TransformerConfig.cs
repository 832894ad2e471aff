namespace Sharpformer.NN;

/// <summary>Which kind of Transformer a config describes.</summary>
public enum Architecture
{
    /// <summary>Encoder and decoder with cross-attention, for translation (the paper's model).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("encoder-decoder")]
    EncoderDecoder,

    /// <summary>A causal stack without cross-attention, for language modelling (GPT-style).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("decoder-only")]
    DecoderOnly,
}

/// <summary>The architecture of an encoder-decoder Transformer. Presets cover the sizes used in this project.</summary>
public sealed record TransformerConfig
{
    /// <summary>Encoder-decoder (translation) or decoder-only (language model).</summary>
    public Architecture Architecture { get; init; } = Architecture.EncoderDecoder;

    /// <summary>Source vocabulary size.</summary>
    public int SourceVocab { get; init; } = 1000;

    /// <summary>Target vocabulary size (equal to the source's when embeddings are shared).</summary>
    public int TargetVocab { get; init; } = 1000;

    /// <summary>Model width d_model.</summary>
    public int DModel { get; init; } = 128;

    /// <summary>Attention heads per layer (must divide d_model).</summary>
    public int Heads { get; init; } = 2;

    /// <summary>Inner width of the feed-forward blocks.</summary>
    public int DimFeedForward { get; init; } = 512;

    /// <summary>Encoder layers.</summary>
    public int EncoderLayers { get; init; } = 2;

    /// <summary>Decoder layers (the blocks of a decoder-only model).</summary>
    public int DecoderLayers { get; init; } = 2;

    /// <summary>Dropout probability (embeddings, attention weights, sublayer outputs, feed-forward).</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>Feed-forward nonlinearity.</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.Relu;

    /// <summary>Post-norm (the paper) or pre-norm.</summary>
    public NormPlacement Norm { get; init; } = NormPlacement.Post;

    /// <summary>Epsilon of every layer norm.</summary>
    public float LayerNormEps { get; init; } = 1e-5f;

    /// <summary>One embedding table for source and target (needs equal vocabularies).</summary>
    public bool ShareEmbeddings { get; init; } = true;

    /// <summary>The output projection reuses the target embedding matrix (it keeps its own bias).</summary>
    public bool TieOutput { get; init; }

    /// <summary>Sinusoids added to the embeddings (the paper) or rotary embeddings of queries and keys.</summary>
    public PositionalKind Positional { get; init; } = PositionalKind.Sinusoidal;

    /// <summary>The base θ of rotary embeddings: dimension pair i turns by position·θ^(−2i/d_head).</summary>
    public float RopeBase { get; init; } = 10000f;

    /// <summary>The base θ self-attention rotates by when <see cref="Positional"/> is RoPE, else null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float? RotaryBase => Positional == PositionalKind.Rope ? RopeBase : null;

    /// <summary>float32 weight matrices (trainable) or int8 ones with a scale per row (a quantized model, for inference).</summary>
    public WeightFormat Weights { get; init; } = WeightFormat.Float32;

    /// <summary>Longest sequence the positional encoding covers.</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Id of the padding token, masked out of attention.</summary>
    public int PadId { get; init; }

    /// <summary>Id of the token decoding starts from (Sharpformer's vocabularies: &lt;bos&gt;, id 1).</summary>
    public int BosId { get; init; } = 1;

    /// <summary>
    /// Id of the token that ends a sequence (Sharpformer's vocabularies: &lt;eos&gt;, id 2); it may equal
    /// <see cref="BosId"/>, as GPT-2's &lt;|endoftext|&gt; does.
    /// </summary>
    public int EosId { get; init; } = 2;

    /// <summary>Tiny: for toy tasks and tests (d_model 64, 2 heads, d_ff 256, 2 + 2 layers).</summary>
    public static TransformerConfig Tiny(int vocab) => new()
    {
        SourceVocab = vocab, TargetVocab = vocab, DModel = 64, Heads = 2, DimFeedForward = 256, EncoderLayers = 2, DecoderLayers = 2
    };

    /// <summary>The <c>small</c> reference: d_model 128, 2 heads, d_ff 512, 2 + 2 layers, vocabulary 1000.</summary>
    public static TransformerConfig Small(int vocab = 1000) => new() { SourceVocab = vocab, TargetVocab = vocab };

    /// <summary>The <c>big</c> reference: d_model 256, 4 heads, d_ff 1024, 3 + 3 layers, vocabulary 8000.</summary>
    public static TransformerConfig Big(int vocab = 8000) => new()
    {
        SourceVocab = vocab, TargetVocab = vocab, DModel = 256, Heads = 4, DimFeedForward = 1024, EncoderLayers = 3, DecoderLayers = 3
    };

    /// <summary>A decoder-only language model of the tiny size (d_model 64, 2 heads, d_ff 256, 4 blocks).</summary>
    public static TransformerConfig TinyLanguageModel(int vocab) =>
        Tiny(vocab) with { Architecture = Architecture.DecoderOnly, EncoderLayers = 0, DecoderLayers = 4, TieOutput = true };

    /// <summary>The paper's base model: d_model 512, 8 heads, d_ff 2048, 6 + 6 layers.</summary>
    public static TransformerConfig Base(int vocab) => new()
    {
        SourceVocab = vocab, TargetVocab = vocab, DModel = 512, Heads = 8, DimFeedForward = 2048, EncoderLayers = 6, DecoderLayers = 6
    };

    /// <summary>Largest vocabulary accepted (2^20; the largest in use today are about 256k).</summary>
    public const int MaxVocab = 1 << 20;

    /// <summary>Largest d_model accepted (65,536; the widest published models use about 16–25k).</summary>
    public const int MaxDModel = 1 << 16;

    /// <summary>Largest feed-forward width accepted (262,144; published models stay below 80k).</summary>
    public const int MaxDimFeedForward = 1 << 18;

    /// <summary>Most encoder or decoder layers accepted (1,024; the deepest published models have about 130).</summary>
    public const int MaxLayers = 1024;

    /// <summary>
    /// Longest max_length accepted (2^24 positions, and at most 2^31 values in [max_length, d_model];
    /// positional rows are computed only as far as they are used).
    /// </summary>
    public const int MaxMaxLength = 1 << 24;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting that is out of range or inconsistent.</summary>
    public void Validate()
    {
        if (Problem() is { } problem) throw new ArgumentException("TransformerConfig: " + problem);
    }

    /// <summary>
    /// The first setting that is out of range or inconsistent, in the words of config.json (null when
    /// all are fine). Every size has an upper bound, and every parameter tensor must fit in one array,
    /// so a valid config never overflows while the model is built.
    /// </summary>
    public string? Problem()
    {
        static string? Range(string name, long value, long min, long max) =>
            value < min || value > max ? $"{name} is {value}, outside [{min}, {max}]" : null;
        var problem = Range("source_vocab", SourceVocab, 1, MaxVocab) ?? Range("target_vocab", TargetVocab, 1, MaxVocab)
            ?? Range("d_model", DModel, 1, MaxDModel) ?? Range("heads", Heads, 1, DModel)
            ?? Range("dim_feed_forward", DimFeedForward, 1, MaxDimFeedForward)
            ?? Range("encoder_layers", EncoderLayers, 0, MaxLayers) ?? Range("decoder_layers", DecoderLayers, 1, MaxLayers)
            ?? Range("max_length", MaxLength, 3, MaxMaxLength)
            ?? Range("pad_id", PadId, 0, Math.Min(SourceVocab, TargetVocab) - 1)
            ?? Range("bos_id", BosId, 0, TargetVocab - 1) ?? Range("eos_id", EosId, 0, TargetVocab - 1);
        if (problem is not null) return problem;
        if (PadId == BosId || PadId == EosId) return $"pad_id ({PadId}) must differ from bos_id ({BosId}) and eos_id ({EosId})";
        if (!System.Enum.IsDefined(Architecture)) return $"architecture {(int)Architecture} is not a known architecture";
        if (!System.Enum.IsDefined(Activation)) return $"activation {(int)Activation} is not a known activation";
        if (!System.Enum.IsDefined(Norm)) return $"norm {(int)Norm} is not a known norm placement";
        if (DModel % Heads != 0) return $"heads ({Heads}) must divide d_model ({DModel})";
        if (!System.Enum.IsDefined(Weights)) return $"weights {(int)Weights} is not a known weight format";
        if (!System.Enum.IsDefined(Positional)) return $"positional {(int)Positional} is not a known positional encoding";
        if (Positional == PositionalKind.Rope && DModel / Heads % 2 != 0)
            return $"rotary embeddings need an even head size, but d_model / heads is {DModel / Heads}";
        if (!(RopeBase > 1f) || !float.IsFinite(RopeBase)) return $"rope_base is {RopeBase}, not a finite number above 1";
        if (Dropout is not (>= 0f and < 1f)) return $"dropout is {Dropout}, outside [0, 1)";
        if (LayerNormEps is not (> 0f and <= 1f)) return $"layer_norm_eps is {LayerNormEps}, outside (0, 1]";
        if (ShareEmbeddings && SourceVocab != TargetVocab) return "share_embeddings needs equal source_vocab and target_vocab";
        if (Architecture == Architecture.DecoderOnly && EncoderLayers != 0)
            return "a decoder-only model has no encoder layers (encoder_layers must be 0)";
        if (Architecture == Architecture.DecoderOnly && SourceVocab != TargetVocab)
            return "a decoder-only model has one vocabulary (source_vocab must equal target_vocab)";
        // The largest tensors: embeddings and the output projection [V, d], in-projections [3d, d], feed-forward [d_ff, d],
        // positions [max_length, d].
        foreach (var (name, rows) in new[] { ("src_embed.weight", (long)SourceVocab), ("generator.weight", TargetVocab),
                                             ("in_proj_weight", 3L * DModel), ("linear1.weight", DimFeedForward),
                                             ("the positional table", MaxLength) })
            if (rows * DModel > Array.MaxLength)
                return $"'{name}' would hold {rows * DModel:N0} values ([{rows}, {DModel}]), more than one array can " +
                       $"(d_model, the vocabulary, dim_feed_forward or max_length is too large)";
        return null;
    }
}
