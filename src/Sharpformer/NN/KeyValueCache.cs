using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>The keys and values one attention sublayer has seen: [B, heads, positions, head width] each.</summary>
public sealed class AttentionCache
{
    /// <summary>Cached keys, or null before the first step.</summary>
    public Tensor? Keys { get; private set; }

    /// <summary>Cached values, or null before the first step.</summary>
    public Tensor? Values { get; private set; }

    /// <summary>Adds positions: k, v: [B, H, n, d].</summary>
    public void Append(Tensor k, Tensor v)
    {
        Keys = Keys is null ? k : Tensor.Concat([Keys, k], 2);
        Values = Values is null ? v : Tensor.Concat([Values, v], 2);
    }

    /// <summary>Keeps batch rows <paramref name="rows"/> in that order (beam search reorders its beams).</summary>
    public void Reorder(int[] rows)
    {
        Keys = Keys?.IndexSelect(0, rows);
        Values = Values?.IndexSelect(0, rows);
    }
}

/// <summary>
/// What incremental decoding keeps between steps: per decoder layer, its self-attention keys and
/// values for every generated position, and its cross-attention keys and values of the encoder output
/// (computed once). With it each new token costs one position's work instead of the whole prefix.
/// </summary>
public sealed class KeyValueCache
{
    /// <summary>An empty cache for a decoder of <paramref name="layers"/> layers.</summary>
    public KeyValueCache(int layers)
    {
        Self = [.. Enumerable.Range(0, layers).Select(_ => new AttentionCache())];
        Cross = [.. Enumerable.Range(0, layers).Select(_ => new AttentionCache())];
    }

    /// <summary>Self-attention caches, one per layer.</summary>
    public IReadOnlyList<AttentionCache> Self { get; }

    /// <summary>Cross-attention caches, one per layer.</summary>
    public IReadOnlyList<AttentionCache> Cross { get; }

    /// <summary>Positions decoded so far (the next token's position).</summary>
    public int Length { get; internal set; }

    /// <summary>Keeps batch rows <paramref name="rows"/> in that order, in every layer.</summary>
    public void Reorder(int[] rows)
    {
        foreach (var c in Self) c.Reorder(rows);
        foreach (var c in Cross) c.Reorder(rows);
    }
}
