using ScottPlot;
using Sharpformer.Tensors;

namespace Sharpformer.Viz;

/// <summary>Heatmap panels with one labelled tick per row and column, row 0 at the top.</summary>
internal static class Heatmaps
{
    /// <summary>
    /// A panel showing <paramref name="values"/> [rows, columns] as coloured cells (row 0 at the top),
    /// with a colour bar on the right whose range is <paramref name="range"/> (or the data's own range).
    /// Labels may be null for plain numeric axes.
    /// </summary>
    public static Plot Panel(float[,] values, IColormap colormap, string? title, string xLabel, string yLabel,
                             string[]? columnLabels, string[]? rowLabels, ScottPlot.Range? range, string colorBarLabel,
                             float tickFontSize = 12, bool rotateColumnLabels = false)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        // ScottPlot draws intensities[0, *] at the top of the extent.
        var intensities = new double[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) intensities[r, c] = values[r, c];

        var plot = new Plot();
        EmbeddedFonts.Apply(plot);
        var map = plot.Add.Heatmap(intensities);
        map.Colormap = colormap;
        map.Extent = new CoordinateRect(-0.5, columns - 0.5, -0.5, rows - 0.5);
        if (range is { } r0) map.ManualRange = r0;
        var bar = plot.Add.ColorBar(map);
        bar.Label = colorBarLabel;
        bar.LabelStyle.FontSize = 13;
        if (range is { } fixedRange)
        {
            // Five even steps: the automatic ticks crowd a short bar with minor marks and 0.05 labels.
            var barTicks = new ScottPlot.TickGenerators.NumericManual();
            for (int k = 0; k <= 4; k++)
            {
                double value = fixedRange.Min + (fixedRange.Max - fixedRange.Min) * k / 4;
                barTicks.AddMajor(value, value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture));
            }
            bar.Axis.TickGenerator = barTicks;
            bar.Axis.TickLabelStyle.FontSize = 12;
        }

        if (title is not null) plot.Title(title, 16);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        plot.HideGrid();

        if (columnLabels is not null)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (int c = 0; c < columns; c++) ticks.AddMajor(c, columnLabels[c]);
            plot.Axes.Bottom.TickGenerator = ticks;
            plot.Axes.Bottom.TickLabelStyle.FontSize = tickFontSize;
            if (rotateColumnLabels)
            {
                plot.Axes.Bottom.TickLabelStyle.Rotation = -90;
                plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                plot.Axes.Bottom.MinimumSize = LabelWidth(columnLabels, tickFontSize) + 40;
            }
        }
        if (rowLabels is not null)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (int r = 0; r < rows; r++) ticks.AddMajor(rows - 1 - r, rowLabels[r]);
            plot.Axes.Left.TickGenerator = ticks;
            plot.Axes.Left.TickLabelStyle.FontSize = tickFontSize;
        }
        return plot;
    }

    /// <summary>The values of a 2-D <paramref name="matrix"/> (any strides) as a [rows, columns] array.</summary>
    public static float[,] Grid(Tensor matrix)
    {
        if (matrix.Rank != 2) throw new ArgumentException($"a heatmap needs a 2-D tensor, not rank {matrix.Rank}");
        int rows = matrix.Shape[0], columns = matrix.Shape[1];
        var flat = matrix.Contiguous().ToArray();
        var grid = new float[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) grid[r, c] = flat[r * columns + c];
        return grid;
    }

    /// <summary>
    /// Writes each of <paramref name="values"/> [rows, columns] in its cell of a <see cref="Panel"/> (row 0 at the top),
    /// formatted by <paramref name="format"/>, in white where <paramref name="onDark"/> says the cell is dark (black elsewhere).
    /// </summary>
    public static void Numbers(Plot plot, float[,] values, Func<float, string> format, Func<float, bool> onDark, float fontSize = 14)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                var text = plot.Add.Text(format(values[r, c]), c, rows - 1 - r);
                text.LabelFontSize = fontSize;
                text.LabelFontName = EmbeddedFonts.Family;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = onDark(values[r, c]) ? Colors.White : Colors.Black;
            }
    }

    /// <summary>A generous estimate of the widest of <paramref name="labels"/> in pixels at <paramref name="fontSize"/>.</summary>
    public static float LabelWidth(IEnumerable<string> labels, float fontSize) =>
        labels.Select(l => new System.Globalization.StringInfo(l).LengthInTextElements).DefaultIfEmpty(1).Max() * fontSize * 0.65f + 6;
}
