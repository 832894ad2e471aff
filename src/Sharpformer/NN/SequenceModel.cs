using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A model that predicts target tokens from the tokens before them (and, for translation, a source):
/// what the trainer, the evaluators and the model directory work with.
/// </summary>
public abstract class SequenceModel : Module
{
    /// <summary>The architecture.</summary>
    public abstract TransformerConfig Config { get; }

    /// <summary>Embedding tables (kept out of weight decay).</summary>
    public abstract IReadOnlyList<Tensor> EmbeddingWeights { get; }

    /// <summary>
    /// Logits for every target position with the reference as decoder input: source [B, S] (ignored by
    /// a decoder-only model), targetInput [B, T] → [B, T, vocabulary].
    /// </summary>
    public abstract Tensor TeacherForcedLogits(Tensor source, Tensor targetInput);

    /// <summary>
    /// A freshly initialized model of the kind <paramref name="config"/> describes; one too large for this
    /// process's memory is an <see cref="InsufficientMemoryException"/> before anything is allocated.
    /// </summary>
    public static SequenceModel Create(TransformerConfig config, Rng rng)
    {
        config.Validate();
        ModelMemory.Require(config, copies: 1, "holding its weights");
        return config.Architecture == Architecture.DecoderOnly ? new LanguageModel(config, rng) : new Transformer(config, rng);
    }
}
