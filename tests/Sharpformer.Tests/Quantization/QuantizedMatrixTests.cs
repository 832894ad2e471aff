using Sharpformer.Tensors;

namespace Sharpformer.Tests.Quantization;

/// <summary>Per-row symmetric int8 quantization: error bounds, the panel layout's round trip, and refused inputs.</summary>
public class QuantizedMatrixTests
{
    private static Tensor Random(int rows, int columns, int seed, float spread = 1f)
    {
        var random = new Random(seed);
        // Rows of very different magnitudes: a per-tensor scale would flatten the small ones to zero.
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            float magnitude = spread * MathF.Pow(10, r % 5 - 2);
            for (int c = 0; c < columns; c++) values[r * columns + c] = magnitude * (float)(random.NextDouble() * 2 - 1);
        }
        return Tensor.FromArray(values, rows, columns);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 13)]
    [InlineData(16, 64)]
    [InlineData(70, 257)]
    public void EachValueIsWithinHalfAStepOfItsRow(int rows, int columns)
    {
        var w = Random(rows, columns, seed: rows * 1000 + columns);
        var q = QuantizedMatrix.Quantize(w);
        var back = q.Dequantize().ToArray();
        var original = w.ToArray();
        for (int r = 0; r < rows; r++)
        {
            var row = original.AsSpan(r * columns, columns);
            float max = 0f;
            foreach (float v in row) max = MathF.Max(max, MathF.Abs(v));
            Assert.Equal(max / 127f, q.Scales[r], max * 1e-7f);
            for (int c = 0; c < columns; c++)
                Assert.True(MathF.Abs(back[r * columns + c] - row[c]) <= q.Scales[r] * (0.5f + 1e-5f),
                    $"[{r}, {c}]: {back[r * columns + c]} for {row[c]}, step {q.Scales[r]}");
        }
    }

    [Fact]
    public void TheLargestMagnitudeOfARowIsExactlyPlusOrMinus127()
    {
        var w = Tensor.FromArray([0.5f, -2f, 1f, 0.25f, 3f, -1f], 2, 3);
        var q = QuantizedMatrix.Quantize(w);
        var values = new sbyte[6];
        q.CopyValuesTo(values);
        Assert.Equal([32, -127, 64, 11, 127, -42], values.Select(v => (int)v));
        Assert.Equal(2f / 127, q.Scales[0]);
        Assert.Equal(3f / 127, q.Scales[1]);
    }

    [Fact]
    public void ARowOfZerosGetsScaleZeroAndStaysZero()
    {
        var q = QuantizedMatrix.Quantize(Tensor.Zeros(3, 5));
        Assert.All(q.Scales.ToArray(), s => Assert.Equal(0f, s));
        Assert.All(q.Dequantize().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ARowTooSmallForANormalScaleGetsScaleZero()
    {
        // 127 / 1e-37 overflows: every nonzero value would round to ±127 (1e-39 read back 100 times too large).
        var q = QuantizedMatrix.Quantize(Tensor.FromArray([1e-37f, 5e-38f, 1e-39f, 0f, 1f, 0.5f, -0.25f, 0f], 2, 4));
        Assert.Equal(0f, q.Scales[0]);
        Assert.Equal([0f, 0f, 0f, 0f], q.Dequantize().ToArray()[..4]);
        Assert.Equal(1f / 127, q.Scales[1]);   // the row beside it as before
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 5)]
    [InlineData(33, 130)]
    public void StoredRowsComeBackFromThePanelLayoutUnchanged(int rows, int columns)
    {
        var random = new Random(rows + columns);
        var values = Enumerable.Range(0, rows * columns).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var scales = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray();
        var q = QuantizedMatrix.FromRows(values, scales, rows, columns);
        var back = new sbyte[rows * columns];
        q.CopyValuesTo(back);
        Assert.Equal(values, back);
        Assert.Equal(scales, q.Scales.ToArray());
        var row = new float[columns];
        q.DequantizeRow(rows - 1, row);
        for (int c = 0; c < columns; c++) Assert.Equal(scales[rows - 1] * values[(rows - 1) * columns + c], row[c]);
        Assert.Equal((long)rows * columns + 4L * rows, q.Bytes);
    }

    [Fact]
    public void NaNAndInfinityCannotBeQuantized()
    {
        var e1 = Assert.Throws<ArgumentException>(() => QuantizedMatrix.Quantize(Tensor.FromArray([1f, float.NaN, 2f, 3f], 2, 2)));
        Assert.Contains("row 0", e1.Message);
        var infinite = Tensor.FromArray([1f, 2f, 2f, float.PositiveInfinity], 2, 2);
        var e2 = Assert.Throws<ArgumentException>(() => QuantizedMatrix.Quantize(infinite));
        Assert.Contains("row 1", e2.Message);
        Assert.Throws<ShapeMismatchException>(() => QuantizedMatrix.Quantize(Tensor.Zeros(2, 2, 2)));
    }

    [Fact]
    public void StoredPartsOutsideTheFormatAreRefused()
    {
        Assert.Contains("−128", Assert.Throws<ArgumentException>(() => QuantizedMatrix.FromRows([1, -128], [1f], 1, 2)).Message);
        Assert.Contains("scale of row 1",
            Assert.Throws<ArgumentException>(() => QuantizedMatrix.FromRows([1, 2], [1f, -1f], 2, 1)).Message);
        Assert.Contains("scale of row 0", Assert.Throws<ArgumentException>(() => QuantizedMatrix.FromRows([1], [float.NaN], 1, 1)).Message);
        // 127 times 3e38 is infinite: every value of the row would read back as ±∞.
        Assert.Contains("scale of row 0", Assert.Throws<ArgumentException>(() => QuantizedMatrix.FromRows([1], [3e38f], 1, 1)).Message);
        Assert.Equal(QuantizedMatrix.MaxScale, QuantizedMatrix.FromRows([127], [QuantizedMatrix.MaxScale], 1, 1).Scales[0]);
        Assert.Contains("do not make", Assert.Throws<ArgumentException>(() => QuantizedMatrix.FromRows([1, 2, 3], [1f], 1, 2)).Message);
    }
}
