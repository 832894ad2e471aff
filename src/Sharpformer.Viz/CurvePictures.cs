using System.Globalization;
using ScottPlot;
using Sharpformer.Training;

namespace Sharpformer.Viz;

/// <summary>
/// Training curves from metrics: loss (training and validation), learning rate and gradient norm, and validation BLEU
/// and chrF when the run translated its validation pairs.
/// </summary>
public static class CurvePictures
{
    private const int Width = 1000, PanelHeight = 320;

    /// <summary>
    /// Writes one PNG with three panels over the step axis: training and validation loss, the learning
    /// rate, and the gradient norm, and a fourth of validation BLEU and chrF when they were logged. Loss and gradient
    /// norm use a logarithmic axis when they span more than a factor of 20. Non-finite values are left out.
    /// </summary>
    public static void Write(IReadOnlyList<MetricsPoint> points, string path, string? title = null)
    {
        if (points.Count == 0) throw new ArgumentException("no metrics to draw");
        double[] steps = [.. points.Select(p => (double)p.Step)];
        var valid = points.Where(p => p.ValidLoss is double v && double.IsFinite(v)).ToArray();
        double[] validSteps = [.. valid.Select(p => (double)p.Step)], validLoss = [.. valid.Select(p => p.ValidLoss!.Value)];
        double[] trainLoss = [.. points.Select(p => p.Loss)];

        var loss = new Plot();
        bool logLoss = IsWide([.. trainLoss, .. validLoss]);
        Line(loss, steps, trainLoss, "training loss", Colors.C0, logLoss, markers: false);
        if (valid.Length > 0) Line(loss, validSteps, validLoss, "validation loss", Colors.C1, logLoss, markers: true);
        Style(loss, "Loss", logLoss ? "cross-entropy (log scale)" : "cross-entropy", logLoss ? [.. trainLoss, .. validLoss] : null);
        loss.ShowLegend(Alignment.UpperRight);

        var rate = new Plot();
        Line(rate, steps, [.. points.Select(p => p.LearningRate)], null, Colors.C2, log: false, markers: false);
        Style(rate, "Learning rate", "learning rate", null);

        var norm = new Plot();
        double[] norms = [.. points.Select(p => p.GradNorm)];
        bool logNorm = IsWide(norms);
        Line(norm, steps, norms, null, Colors.C3, logNorm, markers: false);
        Style(norm, "Gradient norm (before clipping)", logNorm ? "global L2 norm (log scale)" : "global L2 norm", logNorm ? norms : null);

        string subtitle = string.Create(CultureInfo.InvariantCulture, $"{points.Count} logged steps ({points[0].Step}–{points[^1].Step})")
                          + (valid.Length > 0 ? $", {valid.Length} validations" : ", no validation");
        var translated = points.Where(p => p.ValidBleu is double b && double.IsFinite(b)).ToArray();
        if (translated.Length == 0)
        {
            Figure.Save(path, [loss, rate, norm], 1, Width, PanelHeight, title ?? "Training curves", subtitle);
            return;
        }
        var scores = new Plot();
        double[] translatedSteps = [.. translated.Select(p => (double)p.Step)];
        Line(scores, translatedSteps, [.. translated.Select(p => p.ValidBleu!.Value)], "BLEU", Colors.C0, log: false, markers: true);
        Line(scores, translatedSteps, [.. translated.Select(p => p.ValidChrf ?? double.NaN)], "chrF", Colors.C1, log: false, markers: true);
        Style(scores, "Validation translations", "score", null);
        scores.ShowLegend(Alignment.LowerRight);
        Figure.Save(path, [loss, rate, norm, scores], 1, Width, PanelHeight, title ?? "Training curves", subtitle);
    }

    // Adds a line through the finite points; on a log axis the stored y is log10 of the value.
    private static void Line(Plot plot, double[] xs, double[] ys, string? label, Color color, bool log, bool markers)
    {
        var keep = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(ys[i]) && (!log || ys[i] > 0)).ToArray();
        if (keep.Length == 0) return;
        var line = plot.Add.Scatter(keep.Select(i => xs[i]).ToArray(), keep.Select(i => log ? Math.Log10(ys[i]) : ys[i]).ToArray(), color);
        if (label is not null) line.LegendText = label;
        line.LineWidth = 2;
        line.MarkerSize = markers || keep.Length == 1 ? 7 : 0;
    }

    // Every finite value positive and spanning more than 20×: worth a logarithmic axis.
    private static bool IsWide(double[] values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length > 1 && finite.Min() > 0 && finite.Max() / finite.Min() > 20;
    }

    // Titles and labels; logValues (the data of a log-scaled panel) asks for ticks at 1, 2, 5 × 10^k.
    private static void Style(Plot plot, string title, string yLabel, double[]? logValues)
    {
        plot.Title(title, 16);
        plot.XLabel("step", 14);
        plot.YLabel(yLabel, 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.MinimumSize = 90;
        plot.Axes.Right.MinimumSize = 30;
        if (logValues is not null) plot.Axes.Left.TickGenerator = LogTicks(logValues);
    }

    // Ticks for an axis holding log10 of the values: labelled majors at 1, 2 and 5 × 10^k (only 10^k
    // when the data spans more than three decades) and unlabelled minors at the other integers.
    internal static ScottPlot.TickGenerators.NumericManual LogTicks(double[] values)
    {
        var finite = values.Where(v => double.IsFinite(v) && v > 0).ToArray();
        int low = (int)Math.Floor(Math.Log10(finite.Min())) - 1, high = (int)Math.Ceiling(Math.Log10(finite.Max())) + 1;
        bool decadesOnly = high - low > 5;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int k = low; k <= high; k++)
            for (int m = 1; m <= 9; m++)
            {
                double value = m * Math.Pow(10, k), position = Math.Log10(value);
                if (m == 1 || (!decadesOnly && m is 2 or 5)) ticks.AddMajor(position, FormatValue(value));
                else ticks.AddMinor(position);
            }
        return ticks;
    }

    private static string FormatValue(double value) => value is >= 0.001 and < 100000
        ? value.ToString("0.###", CultureInfo.InvariantCulture)
        : value.ToString("0e0", CultureInfo.InvariantCulture);
}
