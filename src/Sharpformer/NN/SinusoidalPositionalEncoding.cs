using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// The fixed positional encoding of "Attention Is All You Need" (§3.5):
/// PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)). No parameters.
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    /// <summary>Precomputes the table for positions [0, <paramref name="maxLength"/>).</summary>
    public SinusoidalPositionalEncoding(int dim, int maxLength)
    {
        if (dim <= 0 || maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(dim), "PositionalEncoding: dim and maxLength must be positive");
        Dim = dim;
        MaxLength = maxLength;
        var table = new float[maxLength * dim];
        for (int pos = 0; pos < maxLength; pos++)
        {
            for (int i = 0; i < dim; i += 2)
            {
                double angle = pos / Math.Pow(10000.0, (double)i / dim);
                table[pos * dim + i] = (float)Math.Sin(angle);
                if (i + 1 < dim) table[pos * dim + i + 1] = (float)Math.Cos(angle);
            }
        }
        Table = Tensor.FromArray(table, maxLength, dim);
    }

    /// <summary>Model width.</summary>
    public int Dim { get; }

    /// <summary>Longest sequence supported.</summary>
    public int MaxLength { get; }

    /// <summary>The encoding matrix: [maxLength, dim] (for pictures and inspection).</summary>
    public Tensor Table { get; }

    /// <summary>x: [B, T, dim] → x + PE[offset : offset + T] (offset: the first position's index, for incremental decoding).</summary>
    public Tensor Forward(Tensor x, int offset = 0)
    {
        int t = x.Size(-2);
        if (offset < 0 || offset + t > MaxLength)
            throw new ArgumentException($"PositionalEncoding: positions up to {offset + t} exceed the maximum length {MaxLength}");
        return x + Table.Narrow(0, offset, t);
    }
}
