using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

/// <summary>
/// A weight matrix [rows, columns] stored as int8 with one float32 scale per row (symmetric, per output row):
/// w[r, c] ≈ scale[r]·q[r, c] with q ∈ [−127, 127] and scale[r] = max_c |w[r, c]| / 127. Rows are a layer's
/// output features, so each row's scale multiplies its dot product once, after the sums.
/// In memory the values are kept only in the layout the int8 kernels read (<see cref="Int8Panels"/>):
/// panels of 16 rows, each holding per group of 4 columns the 4 values of every row side by side.
/// </summary>
public sealed class QuantizedMatrix
{
    /// <summary>The largest magnitude of a quantized value (−128 is never used, so the range is symmetric).</summary>
    public const int MaxLevel = 127;

    private QuantizedMatrix(int rows, int columns, sbyte[] panels, float[] scales, int[] rowSums)
    {
        (Rows, Columns, Panels, PaddedScales, RowSums) = (rows, columns, panels, scales, rowSums);
    }

    /// <summary>Output features (rows).</summary>
    public int Rows { get; }

    /// <summary>Input features (columns).</summary>
    public int Columns { get; }

    /// <summary>The scale of each row: [rows].</summary>
    public ReadOnlySpan<float> Scales => PaddedScales.AsSpan(0, Rows);

    /// <summary>Bytes of the stored matrix: a byte per value and four per scale.</summary>
    public long Bytes => (long)Rows * Columns + 4L * Rows;

    /// <summary>The matrix as the int8 kernels read it.</summary>
    internal Int8Operand Operand => new(Panels, PaddedScales, RowSums, Rows, Columns);

    /// <summary>The values in the kernels' layout (pinned): <see cref="Int8Panels"/>.</summary>
    internal sbyte[] Panels { get; }

    /// <summary>The scales, padded with zeros to whole panels: [panels·16].</summary>
    internal float[] PaddedScales { get; }

    /// <summary>Σ_c q[r, c] per row, padded with zeros to whole panels (the correction for activations stored plus 128).</summary>
    internal int[] RowSums { get; }

    /// <summary>The largest scale a row can have: float.MaxValue / 127, that of a row whose largest value is the largest float.</summary>
    public const float MaxScale = float.MaxValue / 127f;

    /// <summary>
    /// Quantizes a float32 matrix <paramref name="weight"/>: [rows, columns] row by row, rounding to the nearest
    /// level (halves away from zero). A row of zeros gets scale 0.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not a matrix, or it holds a NaN or an infinity.</exception>
    public static QuantizedMatrix Quantize(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw new ShapeMismatchException($"QuantizedMatrix: expected a matrix [rows, columns], got {Shapes.Format(weight.Shape)}");
        int rows = weight.Size(0), columns = weight.Size(1);
        var w = weight.ToArray();
        var values = new sbyte[(long)rows * columns];
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var row = w.AsSpan(r * columns, columns);
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(row))
                throw new ArgumentException($"QuantizedMatrix: row {r} holds a NaN or an infinity, which int8 cannot represent");
            scales[r] = Int8Rows.Quantize(row, values.AsSpan(r * columns, columns));
        }
        return FromRows(values, scales, rows, columns);
    }

    /// <summary>
    /// A matrix from stored parts, as a quantized model file holds them: <paramref name="values"/> [rows, columns]
    /// row-major and <paramref name="scales"/> [rows].
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The sizes disagree, a value is −128, or a scale is not in [0, <see cref="MaxScale"/>].
    /// </exception>
    public static QuantizedMatrix FromRows(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int rows, int columns)
    {
        if (rows < 0 || columns < 0 || values.Length != (long)rows * columns || scales.Length != rows)
            throw new ArgumentException(
                $"QuantizedMatrix: {values.Length} values and {scales.Length} scales do not make a [{rows}, {columns}] matrix");
        for (int r = 0; r < rows; r++)
            if (!(scales[r] is >= 0f and <= MaxScale))
                throw new ArgumentException($"QuantizedMatrix: the scale of row {r} is {scales[r]}, not in [0, {MaxScale}] " +
                                            "(127 times it must be a finite float)");
        int at = values.IndexOf(sbyte.MinValue);
        if (at >= 0)
            throw new ArgumentException($"QuantizedMatrix: value {at} is −128, outside the symmetric range [−127, 127]");
        int padded = Int8Panels.Count(rows) * Int8Panels.Rows;
        var paddedScales = new float[padded];
        scales.CopyTo(paddedScales);
        var rowSums = new int[padded];
        for (int r = 0; r < rows; r++)
        {
            int sum = 0;
            foreach (sbyte v in values.Slice(r * columns, columns)) sum += v;
            rowSums[r] = sum;
        }
        return new QuantizedMatrix(rows, columns, Int8Panels.Pack(values, rows, columns), paddedScales, rowSums);
    }

    /// <summary>
    /// Replaces every value and scale with stored ones (a model file's), checked as <see cref="FromRows"/> checks them.
    /// values: [rows, columns] row-major, scales: [rows]
    /// </summary>
    internal void Overwrite(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales)
    {
        var stored = FromRows(values, scales, Rows, Columns);
        stored.Panels.CopyTo(Panels, 0);
        stored.PaddedScales.CopyTo(PaddedScales, 0);
        stored.RowSums.CopyTo(RowSums, 0);
    }

    /// <summary>
    /// y: [rows, Σ out_i] = x: [rows, in]·[W₀; W₁; …]ᵀ + bias for row blocks W_i: [out_i, in] that stack into one
    /// weight (each block's outputs in its own columns of y); an empty <paramref name="bias"/> adds nothing.
    /// </summary>
    internal static unsafe void Affine(IReadOnlyList<QuantizedMatrix> blocks, float* x, int rows, ReadOnlySpan<float> bias, float* y)
    {
        int inFeatures = blocks[0].Columns, outFeatures = 0;
        foreach (var block in blocks) outFeatures += block.Rows;
        if (!bias.IsEmpty)
            for (int r = 0; r < rows; r++) bias.CopyTo(new Span<float>(y + (nint)r * outFeatures, outFeatures));
        if (rows == 0) return;
        int column = 0;
        foreach (var block in blocks)
        {
            Int8Gemm.Run(rows, block.Operand, x, inFeatures, bias.IsEmpty ? 0f : 1f, y + column, outFeatures);
            column += block.Rows;
        }
    }

    /// <summary>The int8 values row-major into <paramref name="destination"/>: [rows, columns].</summary>
    public void CopyValuesTo(Span<sbyte> destination)
    {
        if (destination.Length != (long)Rows * Columns)
            throw new ArgumentException($"QuantizedMatrix: {destination.Length} places for {Rows}×{Columns} values", nameof(destination));
        for (int r = 0; r < Rows; r++) Int8Panels.ReadRow(Panels, Columns, r, destination.Slice(r * Columns, Columns));
    }

    /// <summary>Row <paramref name="row"/> as float32, scale·q, into <paramref name="destination"/>: [columns].</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), $"QuantizedMatrix: no row {row} of {Rows}");
        if (destination.Length < Columns)
            throw new ArgumentException($"QuantizedMatrix: {destination.Length} places for a row of {Columns}", nameof(destination));
        Span<sbyte> values = Columns <= 4096 ? stackalloc sbyte[Columns] : new sbyte[Columns];
        Int8Panels.ReadRow(Panels, Columns, row, values);
        float scale = PaddedScales[row];
        for (int c = 0; c < Columns; c++) destination[c] = scale * values[c];
    }

    /// <summary>The whole matrix as a new float32 tensor [rows, columns].</summary>
    public Tensor Dequantize()
    {
        var result = Tensor.Zeros(Rows, Columns);
        var span = result.AsSpan();
        for (int r = 0; r < Rows; r++) DequantizeRow(r, span.Slice(r * Columns, Columns));
        return result;
    }
}
