using System.Globalization;
using ScottPlot;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 15: per-row int8 quantization by <see cref="QuantizedMatrix"/>, and the error it leaves.</summary>
internal static class QuantizationPictures
{
    private const int Rows = 48, Columns = 256;

    /// <summary>
    /// Writes two panels for a seeded [48, 256] weight whose rows have different spreads and one outlier each in the
    /// last eight rows: each weight's round-trip error against its value for row 0 and row 47 (a band of ± half a step),
    /// and every row's largest error against its bound, half a step (max|w| / 254).
    /// </summary>
    public static void Write(string path)
    {
        var rng = new Rng(15);
        var values = Tensor.Normal([Rows, Columns], rng, 0, 0.02f).ToArray();
        for (int r = 0; r < Rows; r++)
        {
            float spread = 0.5f + 1.5f * r / Rows;
            for (int c = 0; c < Columns; c++) values[r * Columns + c] *= spread;
            if (r >= Rows - 8) values[r * Columns + r % Columns] = 0.5f;     // an outlier widens this row's step
        }
        var weight = Tensor.FromArray(values, Rows, Columns);
        var quantized = QuantizedMatrix.Quantize(weight);
        var restored = quantized.Dequantize().ToArray();

        var row = LinePanels.Create("Each weight's error, two rows", "weight w", "scale·q − w");
        foreach (var (r, color) in new[] { (0, Colors.C0), (Rows - 1, Colors.C1) })
        {
            // The outlier itself (0.5) is left off the chart.
            var range = Enumerable.Range(r * Columns, Columns).Where(i => Math.Abs(values[i]) < 0.2f).ToArray();
            var scatter = row.Add.ScatterPoints(range.Select(i => (double)values[i]).ToArray(),
                range.Select(i => (double)(restored[i] - values[i])).ToArray(), color);
            scatter.LegendText = string.Create(CultureInfo.InvariantCulture, $"row {r}: step {quantized.Scales[r]:0.00000}");
            scatter.MarkerSize = 4;
        }
        row.ShowLegend(Alignment.UpperRight);

        var errors = LinePanels.Create("Largest error of each row", "row", "max |scale·q − w|");
        double[] rowIndex = [.. Enumerable.Range(0, Rows).Select(r => (double)r)];
        double[] measured = new double[Rows], bound = new double[Rows];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Columns; c++)
                measured[r] = Math.Max(measured[r], Math.Abs(restored[r * Columns + c] - values[r * Columns + c]));
            bound[r] = quantized.Scales[r] / 2;
        }
        LinePanels.Line(errors, rowIndex, bound, "bound: half a step, max|w| / 254", Colors.C3, dashed: true);
        var points = errors.Add.ScatterPoints(rowIndex, measured, Colors.C0);
        points.LegendText = "measured";
        points.MarkerSize = 6;
        errors.ShowLegend(Alignment.UpperLeft);
        Figure.Save(path, [row, errors], 2, 620, 460, "int8 weights: one scale per row",
            string.Create(CultureInfo.InvariantCulture,
                $"{Rows}×{Columns} weights: {quantized.Bytes:N0} bytes in int8 against {4 * Rows * Columns:N0} in float32; " +
                $"the rows with an outlier ({Rows - 8} to {Rows - 1}) pay for it with a coarser step"));
    }
}
