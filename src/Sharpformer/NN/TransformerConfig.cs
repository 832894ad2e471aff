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

    /// <summary>Longest sequence the positional encoding covers.</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Id of the padding token, masked out of attention.</summary>
    public int PadId { get; init; }

    /// <summary>Tiny: for toy tasks and tests (d_model 64, 2 heads, d_ff 256, 2 + 2 layers).</summary>
    public static TransformerConfig Tiny(int vocab) => new() { SourceVocab = vocab, TargetVocab = vocab, DModel = 64, Heads = 2, DimFeedForward = 256, EncoderLayers = 2, DecoderLayers = 2 };

    /// <summary>The <c>small</c> reference: d_model 128, 2 heads, d_ff 512, 2 + 2 layers, vocabulary 1000.</summary>
    public static TransformerConfig Small(int vocab = 1000) => new() { SourceVocab = vocab, TargetVocab = vocab };

    /// <summary>The <c>big</c> reference: d_model 256, 4 heads, d_ff 1024, 3 + 3 layers, vocabulary 8000.</summary>
    public static TransformerConfig Big(int vocab = 8000) => new() { SourceVocab = vocab, TargetVocab = vocab, DModel = 256, Heads = 4, DimFeedForward = 1024, EncoderLayers = 3, DecoderLayers = 3 };

    /// <summary>A decoder-only language model of the tiny size (d_model 64, 2 heads, d_ff 256, 4 blocks).</summary>
    public static TransformerConfig TinyLanguageModel(int vocab) => Tiny(vocab) with { Architecture = Architecture.DecoderOnly, EncoderLayers = 0, DecoderLayers = 4, TieOutput = true };

    /// <summary>The paper's base model: d_model 512, 8 heads, d_ff 2048, 6 + 6 layers.</summary>
    public static TransformerConfig Base(int vocab) => new() { SourceVocab = vocab, TargetVocab = vocab, DModel = 512, Heads = 8, DimFeedForward = 2048, EncoderLayers = 6, DecoderLayers = 6 };

    /// <summary>Throws a clear error if the settings are inconsistent.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException("TransformerConfig: " + message);
        }
        Require(SourceVocab > 0 && TargetVocab > 0, "vocabulary sizes must be positive");
        Require(DModel > 0 && DimFeedForward > 0 && EncoderLayers >= 0 && DecoderLayers > 0, "widths must be positive and there must be a decoder layer");
        Require(Architecture != Architecture.DecoderOnly || EncoderLayers == 0, "a decoder-only model has no encoder layers");
        Require(Heads > 0 && DModel % Heads == 0, $"{Heads} heads do not divide d_model {DModel}");
        Require(Dropout is >= 0f and < 1f, $"dropout {Dropout} must be in [0, 1)");
        Require(!ShareEmbeddings || SourceVocab == TargetVocab, "shared embeddings need equal source and target vocabularies");
        Require(Architecture != Architecture.DecoderOnly || SourceVocab == TargetVocab, "a decoder-only model has one vocabulary (source = target)");
        Require(MaxLength > 0, "max length must be positive");
        Require(PadId >= 0 && PadId < Math.Min(SourceVocab, TargetVocab), $"pad id {PadId} is outside the vocabulary");
    }
}
