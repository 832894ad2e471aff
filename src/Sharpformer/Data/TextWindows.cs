using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Data;

/// <summary>
/// Language-model batches from one long token stream: the stream is cut into windows of
/// <see cref="Context"/> + 1 tokens (consecutive windows share one token), each epoch shuffles the
/// windows, and batches take <see cref="BatchSize"/> of them. The position (epoch, batch index) is the state.
/// </summary>
public sealed class TextWindows : IBatchSource
{
    private readonly int[] _tokens;
    private readonly ulong _seed;
    private int[] _order;
    private int _position;
    private readonly string _description;   // what the windows are cut from (see SavedPosition)

    /// <summary>Windows over <paramref name="tokens"/> of <paramref name="context"/> predicted tokens each.</summary>
    public TextWindows(int[] tokens, int context, int batchSize, ulong seed)
    {
        if (context < 1 || batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(context), "TextWindows: context and batch size must be positive");
        if (tokens.Length < context + 1)
            throw new ArgumentException($"TextWindows: {tokens.Length} tokens are fewer than one window of {context + 1}");
        (_tokens, Context, BatchSize, _seed) = (tokens, context, batchSize, seed);
        _description = string.Create(CultureInfo.InvariantCulture,
            $"{tokens.Length} tokens in windows of {context}, {batchSize} a batch, tokens {SavedPosition.Fingerprint(tokens)}");
        Windows = (tokens.Length - 1) / context;
        _order = Order(0);
    }

    /// <summary>Tokens predicted per window.</summary>
    public int Context { get; }

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Windows in the stream.</summary>
    public int Windows { get; }

    /// <summary>Batches per epoch (the last partial batch is dropped).</summary>
    public int BatchesPerEpoch => Math.Max(1, Windows / BatchSize);

    /// <inheritdoc/>
    public int Epoch { get; private set; }

    /// <inheritdoc/>
    public Batch Next()
    {
        if (_position == BatchesPerEpoch)
        {
            Epoch++;
            _order = Order(Epoch);
            _position = 0;
        }
        int first = _position++ * BatchSize;
        return Batch.ForLanguageModel([.. Enumerable.Range(first, Math.Min(BatchSize, Windows - first)).Select(i => Window(_order[i]))]);
    }

    /// <summary>Every window in order, batched, for evaluation.</summary>
    public IReadOnlyList<Batch> All() =>
        [.. Enumerable.Range(0, (Windows + BatchSize - 1) / BatchSize).Select(b =>
            Batch.ForLanguageModel([.. Enumerable.Range(b * BatchSize, Math.Min(BatchSize, Windows - b * BatchSize)).Select(Window)]))];

    /// <inheritdoc/>
    public string SaveState() => SavedPosition.Write(string.Create(CultureInfo.InvariantCulture, $"{Epoch},{_position}"), _description);

    /// <inheritdoc/>
    public void LoadState(string state)
    {
        var parts = SavedPosition.Read(state, _description).Split(',');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int position) || position > BatchesPerEpoch)
            throw new InvalidDataException($"TextWindows: '{state}' is not a saved position");
        (Epoch, _order, _position) = (epoch, Order(epoch), position);
    }

    private int[] Window(int index) => _tokens.AsSpan(index * Context, Context + 1).ToArray();

    private int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, Windows).ToArray();
        new Rng(_seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1))).Shuffle<int>(order);
        return order;
    }
}
