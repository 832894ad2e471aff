namespace Sharpformer.Evaluation;

/// <summary>How BLEU treats an n-gram order with no match (Chen &amp; Cherry 2014's names, as sacreBLEU's).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing: a zero precision makes BLEU 0.</summary>
    None,
    /// <summary>A zero match count is replaced by <see cref="BleuOptions.SmoothValue"/> (default 0.1).</summary>
    Floor,
    /// <summary>Orders n ≥ 2 add <see cref="BleuOptions.SmoothValue"/> (default 1) to matches and totals.</summary>
    AddK,
    /// <summary>
    /// sacreBLEU's default, mteval-v13a's NIST smoothing: the k-th order with no match (k = 1, 2, …)
    /// gets precision 1 / (2^k · total).
    /// </summary>
    Exp,
}

/// <summary>The word tokenizer applied to BLEU's input strings.</summary>
public enum BleuTokenizer
{
    /// <summary>mteval-v13a's tokenization (sacreBLEU's default); see <see cref="Tokenizer13a"/>.</summary>
    Mteval13a,
    /// <summary>Split on whitespace only (sacreBLEU's <c>none</c>).</summary>
    None,
}

/// <summary>BLEU settings; the defaults are sacreBLEU's corpus BLEU defaults.</summary>
public sealed record BleuOptions
{
    /// <summary>Lowercase before tokenizing (sacreBLEU's <c>lowercase</c>; default false).</summary>
    public bool Lowercase { get; init; }

    /// <summary>The tokenizer for string input (default 13a).</summary>
    public BleuTokenizer Tokenizer { get; init; } = BleuTokenizer.Mteval13a;

    /// <summary>Smoothing of zero n-gram matches (default <see cref="BleuSmoothing.Exp"/>).</summary>
    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.Exp;

    /// <summary>The value for floor (default 0.1) and add-k (default 1); null for the default.</summary>
    public double? SmoothValue { get; init; }

    /// <summary>The highest n-gram order (default 4).</summary>
    public int MaxNgramOrder { get; init; } = 4;

    /// <summary>
    /// Average only over the orders up to the highest one that the hypotheses have n-grams of
    /// (sacreBLEU's <c>effective_order</c>; default false, true for sentence BLEU).
    /// </summary>
    public bool EffectiveOrder { get; init; }

    /// <summary>sacreBLEU's corpus defaults: 13a, mixed case, exp smoothing, orders 1–4.</summary>
    public static BleuOptions Default { get; } = new();

    /// <summary>sacreBLEU's <c>sentence_bleu</c> defaults: as <see cref="Default"/> with effective order.</summary>
    public static BleuOptions SentenceDefault { get; } = new() { EffectiveOrder = true };

    internal double ResolvedSmoothValue => SmoothValue ?? Smoothing switch
    {
        BleuSmoothing.Floor => 0.1,
        BleuSmoothing.AddK => 1.0,
        _ => 0.0,
    };
}
