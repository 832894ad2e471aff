using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// The keys and values one attention sublayer has seen: [B, heads, positions, head width] each. They are
/// kept in buffers with room for more positions (twice as many when full), so a decoding step copies
/// only its new position, and reordering rows reuses a second pair of buffers.
/// </summary>
public sealed class AttentionCache
{
    private const int MinimumCapacity = 16;

    // [B, H, Capacity, d]; positions [0, Length) hold data. The spares receive reordered rows.
    private Tensor? _keys, _values, _spareKeys, _spareValues;

    /// <summary>Cached positions.</summary>
    public int Length { get; private set; }

    /// <summary>Positions the buffers hold before they must grow.</summary>
    public int Capacity => _keys?.Size(2) ?? 0;

    /// <summary>
    /// Cached keys [B, H, Length, d] (a view, valid until the next <see cref="Reorder"/>), or null before the
    /// first step.
    /// </summary>
    public Tensor? Keys => _keys?.Narrow(2, 0, Length);

    /// <summary>
    /// Cached values [B, H, Length, d] (a view, valid until the next <see cref="Reorder"/>), or null before
    /// the first step.
    /// </summary>
    public Tensor? Values => _values?.Narrow(2, 0, Length);

    /// <summary>Rows B.</summary>
    internal int Rows => _keys?.Size(0) ?? 0;

    /// <summary>The whole key buffer [B, H, Capacity, d], row-major.</summary>
    internal ReadOnlySpan<float> KeyBuffer => _keys is null ? [] : _keys.AsSpan();

    /// <summary>The whole value buffer [B, H, Capacity, d], row-major.</summary>
    internal ReadOnlySpan<float> ValueBuffer => _values is null ? [] : _values.AsSpan();

    /// <summary>Adds positions: k, v: [B, H, n, d] (after the first call, with the same B, H and d).</summary>
    public void Append(Tensor k, Tensor v)
    {
        if (k.Rank != 4 || !k.Shape.SequenceEqual(v.Shape))
            throw new ShapeMismatchException(
                $"AttentionCache: keys {Shapes.Format(k.Shape)} and values {Shapes.Format(v.Shape)} must both be [B, H, n, d]");
        int n = k.Size(2);
        MakeRoom(k.Size(0), k.Size(1), n, k.Size(3));
        _keys!.Narrow(2, Length, n).CopyFrom(k);
        _values!.Narrow(2, Length, n).CopyFrom(v);
        Length += n;
    }

    /// <summary>
    /// Adds one position from rows of projections: row b's keys are keys[b·stride .. + H·d] (heads side
    /// by side), its values likewise.
    /// </summary>
    internal void AppendPosition(ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int stride, int rows, int heads, int width)
    {
        MakeRoom(rows, heads, 1, width);
        int capacity = Capacity;
        var k = _keys!.AsSpan();
        var v = _values!.AsSpan();
        for (int b = 0; b < rows; b++)
            for (int h = 0; h < heads; h++)
            {
                int at = ((b * heads + h) * capacity + Length) * width;
                keys.Slice(b * stride + h * width, width).CopyTo(k.Slice(at, width));
                values.Slice(b * stride + h * width, width).CopyTo(v.Slice(at, width));
            }
        Length++;
    }

    // Room for n more positions of [rows, heads, ·, width], growing the buffers when full.
    private void MakeRoom(int rows, int heads, int n, int width)
    {
        if (_keys is not null && (rows != _keys.Size(0) || heads != _keys.Size(1) || width != _keys.Size(3)))
            throw new ShapeMismatchException(
                $"AttentionCache: cannot append [{rows}, {heads}, {n}, {width}] to a cache of {Shapes.Format(_keys.Shape)}");
        if (Length + n > Capacity) Grow(Math.Max(Length + n, Math.Max(2 * Capacity, MinimumCapacity)), rows, heads, width);
    }

    /// <summary>
    /// Keeps batch rows <paramref name="rows"/> in that order (beam search reorders its beams; a row may repeat). Rows that
    /// only leave — the rest kept in order, as when decoded rows end — are moved up in place, with no new buffer.
    /// </summary>
    public void Reorder(int[] rows)
    {
        if (_keys is null) return;
        foreach (int r in rows)
            if (r < 0 || r >= Rows) throw new IndexOutOfRangeException($"AttentionCache: row {r} is out of range for {Rows} rows");
        if (rows.Length < Rows && rows.Zip(rows.Skip(1)).All(pair => pair.First < pair.Second))
        {
            // rows[r] >= r, ascending: copying row rows[r] up to row r never overwrites a row still to be read.
            Gather(_keys, _keys, rows);
            Gather(_values!, _values!, rows);
            (_keys, _values) = (_keys.Narrow(0, 0, rows.Length), _values!.Narrow(0, 0, rows.Length));
            return;
        }
        int[] shape = [rows.Length, _keys.Size(1), Capacity, _keys.Size(3)];
        if (_spareKeys is null || !_spareKeys.Shape.SequenceEqual(shape))
            (_spareKeys, _spareValues) = (Tensor.Zeros(shape), Tensor.Zeros(shape));
        Gather(_keys, _spareKeys, rows);
        Gather(_values!, _spareValues!, rows);
        (_keys, _spareKeys) = (_spareKeys, _keys);
        (_values, _spareValues) = (_spareValues, _values);
    }

    // New buffers [B, H, capacity, d] holding the cached positions.
    private void Grow(int capacity, int batch, int heads, int width)
    {
        var keys = Tensor.Zeros(batch, heads, capacity, width);
        var values = Tensor.Zeros(batch, heads, capacity, width);
        if (Length > 0)
        {
            keys.Narrow(2, 0, Length).CopyFrom(Keys!);
            values.Narrow(2, 0, Length).CopyFrom(Values!);
        }
        (_keys, _values, _spareKeys, _spareValues) = (keys, values, null, null);
    }

    // to[r] = from[rows[r]] over the filled positions; from, to: [·, H, Capacity, d]
    private void Gather(Tensor from, Tensor to, int[] rows)
    {
        int heads = from.Size(1), capacity = from.Size(2), width = from.Size(3), filled = Length * width;
        var source = from.AsSpan();
        var target = to.AsSpan();
        for (int r = 0; r < rows.Length; r++)
            for (int h = 0; h < heads; h++)
                source.Slice((rows[r] * heads + h) * capacity * width, filled)
                    .CopyTo(target.Slice((r * heads + h) * capacity * width, filled));
    }
}

/// <summary>
/// What incremental decoding keeps between steps: per decoder layer, its self-attention keys and
/// values for every generated position, and its cross-attention keys and values of the encoder output
/// (computed once). With it each new token costs one position's work instead of the whole prefix.
/// </summary>
public sealed class KeyValueCache
{
    private StepBuffers? _buffers;

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

    /// <summary>Working memory for a step of <paramref name="rows"/> rows, kept for the next step.</summary>
    internal StepBuffers Buffers(int rows, int width, int hidden) => _buffers = StepBuffers.Fit(_buffers, rows, width, hidden);

    /// <summary>Keeps batch rows <paramref name="rows"/> in that order, in every layer.</summary>
    public void Reorder(int[] rows)
    {
        foreach (var c in Self) c.Reorder(rows);
        foreach (var c in Cross) c.Reorder(rows);
    }
}
