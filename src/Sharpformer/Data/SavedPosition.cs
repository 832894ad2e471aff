namespace Sharpformer.Data;

/// <summary>
/// A batch source's saved state: its position, then after ';' a description of the batches it cuts ("28306 pairs, 2048
/// tokens a batch, lengths 5f1c09a2"). A position means nothing in another plan, so a resume whose data or batch settings
/// differ is refused by name instead of continuing at a position of other batches. States saved before the description
/// existed (no ';') are read as they are.
/// </summary>
internal static class SavedPosition
{
    /// <summary>The state to save: <paramref name="position"/> and <paramref name="plan"/>.</summary>
    public static string Write(string position, string plan) => $"{position};{plan}";

    /// <summary>The position part of <paramref name="state"/>, after checking that it was saved under <paramref name="plan"/>.</summary>
    /// <exception cref="ArgumentException">The checkpoint's batches were cut otherwise.</exception>
    public static string Read(string state, string plan)
    {
        int separator = state.IndexOf(';', StringComparison.Ordinal);
        if (separator < 0) return state;
        string saved = state[(separator + 1)..];
        if (saved != plan)
            throw new ArgumentException($"the checkpoint's training batches were {saved}, these would be {plan}: resume with the " +
                                        "data and the batch settings (batch tokens, maximum length, tokenizer) the run started with");
        return state[..separator];
    }

    /// <summary>A short fingerprint of a sequence of lengths (FNV-1a), telling apart data cut or tokenized otherwise.</summary>
    public static string Fingerprint(IEnumerable<int> lengths)
    {
        uint hash = 2166136261;
        foreach (int length in lengths) hash = (hash ^ (uint)length) * 16777619;
        return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
