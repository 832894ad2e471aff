using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Data;

/// <summary>
/// Batches a fixed set of pairs for training: each epoch shuffles the pairs, sorts each pool of
/// <see cref="PoolSize"/> pairs by length (so a batch holds similar lengths and little padding), cuts the
/// pools into batches of at most <see cref="BatchTokens"/> padded tokens, and shuffles the batches.
/// An epoch's plan depends only on the seed and the epoch number, so the position (epoch, batch index)
/// is the whole state to checkpoint.
/// </summary>
public sealed class BucketBatcher : IBatchSource
{
    private readonly IReadOnlyList<SequencePair> _pairs;
    private readonly ulong _seed;
    private readonly SpecialIds _ids;
    private List<int[]> _plan;
    private int _position;
    private readonly string _description;   // what the plans are cut from (see SavedPosition)

    /// <summary>
    /// A batcher over <paramref name="pairs"/> (at least one), batches built with <paramref name="ids"/> (default: the
    /// reserved ones).
    /// </summary>
    public BucketBatcher(IReadOnlyList<SequencePair> pairs, int batchTokens, ulong seed, int poolSize = 4096, SpecialIds? ids = null)
    {
        _ids = ids ?? SpecialIds.Reserved;
        if (pairs.Count == 0) throw new ArgumentException("BucketBatcher: no training pairs");
        if (batchTokens < 1 || poolSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchTokens), "BucketBatcher: batch tokens and pool size must be positive");
        (_pairs, BatchTokens, _seed, PoolSize) = (pairs, batchTokens, seed, poolSize);
        _plan = Plan(0);
        var lengths = SavedPosition.Fingerprint(pairs.SelectMany(p => (int[])[p.Source.Length, p.Target.Length]));
        _description = string.Create(CultureInfo.InvariantCulture, $"{pairs.Count} pairs, {batchTokens} tokens a batch, lengths {lengths}");
    }

    /// <summary>Budget of padded tokens per batch: examples × the longest side (target counted with eos).</summary>
    public int BatchTokens { get; }

    /// <summary>Pairs sorted together before cutting batches.</summary>
    public int PoolSize { get; }

    /// <inheritdoc/>
    public int Epoch { get; private set; }

    /// <summary>Batches in the current epoch.</summary>
    public int BatchesPerEpoch => _plan.Count;

    /// <inheritdoc/>
    public Batch Next()
    {
        if (_position == _plan.Count)
        {
            Epoch++;
            _plan = Plan(Epoch);
            _position = 0;
        }
        return Batch.FromPairs([.. _plan[_position++].Select(i => _pairs[i])], _ids);
    }

    /// <inheritdoc/>
    public string SaveState() => SavedPosition.Write(string.Create(CultureInfo.InvariantCulture, $"{Epoch},{_position}"), _description);

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var parts = SavedPosition.Read(state, _description).Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int position))
            throw new InvalidDataException($"BucketBatcher: '{state}' is not a saved position");
        var plan = Plan(epoch);
        if (position > plan.Count)
            throw new InvalidDataException($"BucketBatcher: position {position} is past the {plan.Count} batches of epoch {epoch}");
        (Epoch, _plan, _position) = (epoch, plan, position);
    }

    private int Cost(int i) => Math.Max(_pairs[i].Source.Length, _pairs[i].Target.Length + 1);

    private List<int[]> Plan(int epoch)
    {
        var rng = new Rng(_seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)));
        var order = Enumerable.Range(0, _pairs.Count).ToArray();
        rng.Shuffle<int>(order);
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += PoolSize)
        {
            var pool = order.AsSpan(start, Math.Min(PoolSize, order.Length - start)).ToArray();
            var lengths = pool.Select(Cost).ToArray();
            Array.Sort(lengths, pool);
            var batch = new List<int>();
            int longest = 0;
            foreach (int i in pool)
            {
                int grown = Math.Max(longest, Cost(i));
                if (batch.Count > 0 && (batch.Count + 1) * grown > BatchTokens)
                {
                    batches.Add([.. batch]);
                    batch.Clear();
                    grown = Cost(i);
                }
                batch.Add(i);
                longest = grown;
            }
            if (batch.Count > 0) batches.Add([.. batch]);
        }
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
