namespace Sharpformer.Evaluation;

/// <summary>chrF settings; the defaults are sacreBLEU 2.x's chrF defaults (chrF2).</summary>
public sealed record ChrfOptions
{
    /// <summary>Character n-gram orders 1..CharOrder (default 6).</summary>
    public int CharOrder { get; init; } = 6;

    /// <summary>Word n-gram orders 1..WordOrder (default 0; 2 gives chrF++).</summary>
    public int WordOrder { get; init; }

    /// <summary>β of the F-score: recall weighs β times as much as precision (default 2).</summary>
    public int Beta { get; init; } = 2;

    /// <summary>Lowercase first (default false).</summary>
    public bool Lowercase { get; init; }

    /// <summary>Keep whitespace inside character n-grams (default false: all whitespace is removed).</summary>
    public bool Whitespace { get; init; }

    /// <summary>
    /// Use chrF++.py / NLTK / Moses ε-smoothing: the score is the mean of per-order F-scores, an order
    /// with no n-gram on either side counting ~0 (default false: sacreBLEU's effective-order averaging
    /// of precision and recall over the orders both sides have).
    /// </summary>
    public bool EpsSmoothing { get; init; }

    /// <summary>sacreBLEU's chrF defaults.</summary>
    public static ChrfOptions Default { get; } = new();

    /// <summary>sacreBLEU's chrF++: the defaults with word n-grams 1–2.</summary>
    public static ChrfOptions PlusPlus { get; } = new() { WordOrder = 2 };
}
