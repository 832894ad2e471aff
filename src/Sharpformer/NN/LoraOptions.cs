namespace Sharpformer.NN;

/// <summary>The weights low-rank adapters are put beside (<see cref="SequenceModel.AddLora"/>).</summary>
[Flags]
public enum LoraTargets
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>W_q, the query rows of every attention in-projection.</summary>
    Query = 1,

    /// <summary>W_k, the key rows.</summary>
    Key = 2,

    /// <summary>W_v, the value rows.</summary>
    Value = 4,

    /// <summary>W_o, every attention output projection.</summary>
    Output = 8,

    /// <summary>Both Linear layers of every feed-forward block.</summary>
    FeedForward = 16,

    /// <summary>W_q, W_k, W_v and W_o.</summary>
    Attention = Query | Key | Value | Output,

    /// <summary>Every attention and feed-forward weight.</summary>
    All = Attention | FeedForward,

    /// <summary>
    /// The vocabulary matrices: the embedding tables and the output projection, one adapter per distinct matrix (a tied or
    /// shared matrix has one, which both the lookups and the logits use). Not part of <see cref="All"/>.
    /// </summary>
    Embedding = 32,
}

/// <summary>The settings of low-rank adapters: rank r, scaling α / r, dropout on the adapter's input, and targets.</summary>
public sealed record LoraOptions
{
    /// <summary>Rank r of each adapter (8 is the LoRA paper's common choice).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>α: updates are scaled by α / r, so a different rank needs no new learning rate.</summary>
    public float Alpha { get; init; } = 16f;

    /// <summary>Dropout on the adapter's input during training.</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>Which weights get adapters (default: queries and values, as the LoRA paper's experiments).</summary>
    public LoraTargets Targets { get; init; } = LoraTargets.Query | LoraTargets.Value;

    /// <summary>
    /// Whether every bias trains too (PEFT's <c>bias="all"</c>, BitFit): a few thousand values, most of them the output
    /// layer's, which lets the adapted model shift how often each token is predicted. The weight matrices stay frozen.
    /// </summary>
    public bool TrainBiases { get; init; }

    /// <summary>
    /// Targets from a comma-separated list of <c>q</c>, <c>k</c>, <c>v</c>, <c>o</c>, <c>ff</c>, <c>attention</c>, <c>all</c>,
    /// <c>emb</c>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or none at all.</exception>
    public static LoraTargets ParseTargets(string text)
    {
        var targets = LoraTargets.None;
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            targets |= part switch
            {
                "q" => LoraTargets.Query,
                "k" => LoraTargets.Key,
                "v" => LoraTargets.Value,
                "o" => LoraTargets.Output,
                "ff" => LoraTargets.FeedForward,
                "attention" => LoraTargets.Attention,
                "all" => LoraTargets.All,
                "emb" => LoraTargets.Embedding,
                _ => throw new ArgumentException($"LoRA target '{part}' is not one of q, k, v, o, ff, attention, all, emb"),
            };
        return targets != LoraTargets.None ? targets
            : throw new ArgumentException("LoRA targets: name at least one of q, k, v, o, ff, emb");
    }

    /// <summary>The targets as <see cref="ParseTargets"/> reads them: "q,v".</summary>
    public static string FormatTargets(LoraTargets targets) => string.Join(',', new[]
    {
        (LoraTargets.Query, "q"), (LoraTargets.Key, "k"), (LoraTargets.Value, "v"), (LoraTargets.Output, "o"),
        (LoraTargets.FeedForward, "ff"), (LoraTargets.Embedding, "emb"),
    }.Where(t => targets.HasFlag(t.Item1)).Select(t => t.Item2));

    /// <summary>The largest α accepted: beyond it the scaled update (α / r)·B·A overflows long before it is useful.</summary>
    public const float MaxAlpha = 1e6f;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> for a setting out of range, or a rank above what a targeted weight of
    /// <paramref name="config"/> allows (an adapter of a [out, in] weight has a rank of at most min(out, in)).
    /// </summary>
    public void Validate(TransformerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Validate();
        var shapes = new List<(string Name, int Rows, int Columns)>();
        if ((Targets & LoraTargets.Attention) != 0) shapes.Add(("attention", config.DModel, config.DModel));
        if (Targets.HasFlag(LoraTargets.FeedForward)) shapes.Add(("feed-forward", config.DimFeedForward, config.DModel));
        if (Targets.HasFlag(LoraTargets.Embedding))
        {
            shapes.Add(("vocabulary", config.TargetVocab, config.DModel));
            if (config.Architecture == Architecture.EncoderDecoder) shapes.Add(("source vocabulary", config.SourceVocab, config.DModel));
        }
        foreach (var (name, rows, columns) in shapes)
            if (Rank > Math.Min(rows, columns))
                throw new ArgumentException($"LoRA: rank {Rank} is more than the {name} weights ([{rows}, {columns}]) allow: at most " +
                                            $"{Math.Min(rows, columns)}");
    }

    /// <summary>Throws an <see cref="ArgumentException"/> for a setting out of range.</summary>
    public void Validate()
    {
        if (Rank < 1) throw new ArgumentException($"LoRA: the rank is {Rank}, it must be at least 1");
        if (!(Alpha > 0) || Alpha > MaxAlpha)
            throw new ArgumentException($"LoRA: alpha is {Alpha}, it must be above 0 and at most {MaxAlpha:0e0}");
        if (Dropout is not (>= 0f and < 1f)) throw new ArgumentException($"LoRA: dropout is {Dropout}, outside [0, 1)");
        if (Targets == LoraTargets.None || (Targets & ~(LoraTargets.All | LoraTargets.Embedding)) != 0)
            throw new ArgumentException($"LoRA: no valid targets ({Targets})");
    }
}
