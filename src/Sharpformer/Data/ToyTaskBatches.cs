using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Data;

/// <summary>Batches of freshly generated toy-task examples; the generator's state is the stream position.</summary>
public sealed class ToyTaskBatches(ToyTask task, int batchSize, ulong seed) : IBatchSource
{
    private readonly Rng _rng = new(seed);

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; } = batchSize > 0 ? batchSize
        : throw new ArgumentOutOfRangeException(nameof(batchSize), "ToyTaskBatches: batch size must be positive");

    /// <inheritdoc/>
    public int Epoch => 0;

    private string Description => string.Create(CultureInfo.InvariantCulture, $"{BatchSize} examples a batch");

    /// <inheritdoc/>
    public Batch Next() => Batch.FromPairs([.. Enumerable.Range(0, BatchSize).Select(_ => task.Sample(_rng))]);

    /// <inheritdoc/>
    public string SaveState() =>
        SavedPosition.Write(string.Join(",", _rng.State.Select(s => s.ToString(CultureInfo.InvariantCulture))), Description);

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var parts = SavedPosition.Read(state, Description).Split(',');
        if (parts.Length != 4 || !parts.All(p => ulong.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new InvalidDataException($"ToyTaskBatches: '{state}' is not a saved generator state");
        _rng.State = [.. parts.Select(p => ulong.Parse(p, CultureInfo.InvariantCulture))];
    }

    /// <summary>A fixed set of <paramref name="count"/> batches from their own seed, for validation.</summary>
    public static IReadOnlyList<Batch> Fixed(ToyTask task, int batchSize, int count, ulong seed)
    {
        var source = new ToyTaskBatches(task, batchSize, seed);
        return [.. Enumerable.Range(0, count).Select(_ => source.Next())];
    }
}
