using ScottPlot;

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

    /// <summary>A generous estimate of the widest of <paramref name="labels"/> in pixels at <paramref name="fontSize"/>.</summary>
    public static float LabelWidth(IEnumerable<string> labels, float fontSize) =>
        labels.Select(l => new System.Globalization.StringInfo(l).LengthInTextElements).DefaultIfEmpty(1).Max() * fontSize * 0.65f + 6;
}
