namespace Sharpformer.Generation;

/// <summary>
/// What a caller controls in a decoding loop beyond the method: ids that must never be emitted (for example
/// <c>&lt;unk&gt;</c> under a byte-level vocabulary, which encodes every text without it), and a token that stops
/// the loop between steps (a request that was cancelled) by throwing <see cref="OperationCanceledException"/>.
/// </summary>
/// <param name="SuppressedIds">Ids given no probability, besides padding and beginning-of-sequence.</param>
/// <param name="Cancellation">Checked before each step.</param>
public readonly record struct DecodingControls(IReadOnlyList<int>? SuppressedIds = null, CancellationToken Cancellation = default)
{
    /// <summary>
    /// The controls for decoding into <paramref name="tokenizer"/>'s vocabulary: every special token is suppressed except
    /// the model's end-of-sequence and, under a vocabulary of whole pieces (char, word), <c>&lt;unk&gt;</c>, which those
    /// produce for unseen pieces. Special tokens never come from ordinary text, so a decoder has no business emitting them.
    /// </summary>
    public static DecodingControls For(Text.ITokenizer tokenizer, NN.TransformerConfig config, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        int? unk = tokenizer.Type == "bpe" ? null : tokenizer.SpecialTokens.Unk;
        int[] suppressed = [.. tokenizer.SpecialTokens.All.Select(token => token.Id)
            .Where(id => id != config.EosId && id != unk && id < config.TargetVocab)];
        return new DecodingControls(suppressed, cancellation);
    }

    /// <summary>
    /// Gives <paramref name="logits"/> no probability at the model's padding and beginning ids and at <see cref="SuppressedIds"/>.
    /// </summary>
    internal void Forbid(Span<float> logits, NN.TransformerConfig config)
    {
        LogProbabilities.ForbidSpecial(logits, config);
        foreach (int id in SuppressedIds ?? []) logits[id] = float.NegativeInfinity;
    }
}
