using System.Globalization;
using ScottPlot;
using Sharpformer.Training;

namespace Sharpformer.Viz;

/// <summary>Several training runs side by side: validation BLEU against minutes of training (the updates' time).</summary>
public static class RunComparisonPictures
{
    private const int Width = 1000, Height = 520;

    /// <summary>
    /// Writes one PNG with a line per run: its validation BLEU at each evaluation against the minutes of updates
    /// (train_s) so far, labelled with the run's name. Runs compare fairly by time even when their models and batches
    /// differ in speed.
    /// </summary>
    /// <exception cref="ArgumentException">No run logged BLEU with its training time (train with --eval-bleu).</exception>
    public static void Write(IReadOnlyList<(string Name, IReadOnlyList<MetricsPoint> Points)> runs, string path, string? title = null)
    {
        var plot = new Plot();
        int drawn = 0;
        foreach (var (name, points) in runs)
        {
            var scored = points
                .Where(p => p.ValidBleu is double b && double.IsFinite(b) && p.TrainSeconds is double s && double.IsFinite(s)).ToArray();
            if (scored.Length == 0) continue;
            var line = plot.Add.Scatter(scored.Select(p => p.TrainSeconds!.Value / 60).ToArray(),
                scored.Select(p => p.ValidBleu!.Value).ToArray(), Colors.Category10[drawn % 10]);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{name} ({scored.Max(p => p.ValidBleu!.Value):F2})");
            line.LineWidth = 2;
            line.MarkerSize = 6;
            drawn++;
        }
        if (drawn == 0) throw new ArgumentException("no run logged validation BLEU with its training time: train with --eval-bleu");
        plot.Title("Validation BLEU against training time", 16);
        plot.XLabel("minutes of training (updates only)", 14);
        plot.YLabel("validation BLEU", 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.ShowLegend(Alignment.LowerRight);
        Figure.Save(path, [plot], 1, Width, Height, title ?? "Training runs compared",
            string.Create(CultureInfo.InvariantCulture, $"{drawn} runs; the best validation BLEU of each in brackets"));
    }
}
