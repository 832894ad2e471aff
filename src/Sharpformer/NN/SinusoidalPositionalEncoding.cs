using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// The fixed positional encoding of "Attention Is All You Need" (§3.5):
/// PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)). No parameters.
/// Rows are computed when first needed and kept (the table grows in powers of two), so a model with a
/// long <see cref="MaxLength"/> costs nothing until it sees long sequences.
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    private Tensor _rows;   // [n, dim] for the first n positions; replaced, never changed, when it grows

    /// <summary>An encoding for positions [0, <paramref name="maxLength"/>) of width <paramref name="dim"/>.</summary>
    public SinusoidalPositionalEncoding(int dim, int maxLength)
    {
        if (dim <= 0 || maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(dim), "PositionalEncoding: dim and maxLength must be positive");
        Dim = dim;
        MaxLength = maxLength;
        _rows = Compute(Math.Min(maxLength, 64));
    }

    /// <summary>Model width.</summary>
    public int Dim { get; }

    /// <summary>Longest sequence supported.</summary>
    public int MaxLength { get; }

    /// <summary>The whole encoding matrix: [maxLength, dim] (for pictures and inspection; computes every row).</summary>
    public Tensor Table => Rows(MaxLength);

    /// <summary>The encodings of the first <paramref name="count"/> positions: [count, dim] (a view of the cached table).</summary>
    public Tensor Rows(int count)
    {
        if (count < 0 || count > MaxLength)
            throw new ArgumentException($"PositionalEncoding: positions up to {count} exceed the maximum length {MaxLength}");
        var rows = Covering(count);
        return rows.Size(0) == count ? rows : rows.Narrow(0, 0, count);
    }

    /// <summary>The encoding of <paramref name="position"/> (below <see cref="MaxLength"/>), without allocating: [dim].</summary>
    internal ReadOnlySpan<float> Row(int position) => Covering(position + 1).AsSpan().Slice(position * Dim, Dim);

    // The cached table, grown to at least `count` rows (in powers of two) when it is shorter.
    private Tensor Covering(int count)
    {
        var rows = Volatile.Read(ref _rows);
        if (rows.Size(0) >= count) return rows;
        rows = Compute((int)Math.Min(MaxLength, Math.Max(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count))));
        Volatile.Write(ref _rows, rows);   // a racing thread computes the same values
        return rows;
    }

    /// <summary>x: [B, T, dim] → x + PE[offset : offset + T] (offset: the first position's index, for incremental decoding).</summary>
    public Tensor Forward(Tensor x, int offset = 0)
    {
        int t = x.Size(-2);
        if (offset < 0 || (long)offset + t > MaxLength)
            throw new ArgumentException($"PositionalEncoding: positions up to {(long)offset + t} exceed the maximum length {MaxLength}");
        return x + Covering(offset + t).Narrow(0, offset, t);
    }

    // PE: [count, dim]
    private Tensor Compute(int count)
    {
        var table = new float[(long)count * Dim];
        for (int pos = 0; pos < count; pos++)
        {
            for (int i = 0; i < Dim; i += 2)
            {
                double angle = pos / Math.Pow(10000.0, (double)i / Dim);
                table[(long)pos * Dim + i] = (float)Math.Sin(angle);
                if (i + 1 < Dim) table[(long)pos * Dim + i + 1] = (float)Math.Cos(angle);
            }
        }
        return Tensor.FromArray(table, count, Dim);
    }
}
