using ScottPlot;

namespace Sharpformer.Viz.Course;

/// <summary>Line-chart panels for the course pictures: one labelled line per call, titled axes.</summary>
internal static class LinePanels
{
    /// <summary>A panel with a title and axis labels, its tick labels at a readable size.</summary>
    public static Plot Create(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        EmbeddedFonts.Apply(plot);
        plot.Title(title, 16);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        return plot;
    }

    /// <summary>Adds a line through (<paramref name="xs"/>, <paramref name="ys"/>) named <paramref name="label"/> in the legend.</summary>
    public static void Line(Plot plot, double[] xs, double[] ys, string? label, Color color, float width = 2, bool dashed = false)
    {
        var line = plot.Add.Scatter(xs, ys, color);
        if (label is not null) line.LegendText = label;
        line.LineWidth = width;
        line.MarkerSize = 0;
        if (dashed) line.LinePattern = LinePattern.Dashed;
    }
}
