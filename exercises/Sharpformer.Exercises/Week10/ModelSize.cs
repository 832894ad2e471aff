using Sharpformer.NN;

namespace Sharpformer.Exercises.Week10;

/// <summary>Week 10: the whole model (docs/10). How many numbers does an encoder–decoder Transformer hold?</summary>
public static class ModelSize
{
    /// <summary>
    /// The parameter count of <c>new Transformer(config, rng)</c>, by hand: the embeddings (one table when
    /// <see cref="TransformerConfig.ShareEmbeddings"/>), every encoder and decoder layer (attention projections with
    /// biases, the feed-forward network, the norms), the stacks' final norms, and the output layer (its weight is the
    /// target embedding when <see cref="TransformerConfig.TieOutput"/>; its bias is always its own). A shared tensor
    /// counts once.
    /// </summary>
    public static long ParameterCount(TransformerConfig config) =>
        throw new NotImplementedException("Week 10: write ParameterCount (docs/10-transformer.md, 'Configuration')");
}
