using System.Globalization;
using ScottPlot;
using Sharpformer.Optim;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 21: what checkpoint averaging and a moving average of the weights do, on a toy — stochastic gradient descent
/// on the valley f(x, y) = x² + 10·y² with noisy gradients — once at a constant learning rate and once with the trainer's
/// warmup-cosine schedule decaying to zero.
/// </summary>
internal static class AveragingPictures
{
    private const int Steps = 2000, Every = 40, Kept = 5;
    private const float Peak = 0.05f, Decay = 0.99f;

    /// <summary>Writes the two panels: the last iterates, the last checkpoints, their mean and the moving average.</summary>
    public static void Write(string path)
    {
        var constant = Panel("Constant learning rate", _ => Peak);
        var cosine = LearningRateSchedule.WarmupCosine(Peak, 100, Steps);
        var decayed = Panel("Warmup, then cosine decay to 0 (the trainer's)", step => cosine.At(step));
        Figure.Save(path, [constant, decayed], 2, 760, 520, "Averaging weights: checkpoints and a moving average",
            "Noisy steps bounce around the minimum (0, 0); the averages sit nearer, unless the rate has decayed to 0 (as in every run)");
    }

    private static Plot Panel(string title, Func<int, float> rate)
    {
        var rng = new Rng(21);
        double x = 3, y = 1.5, emaX = x, emaY = y;
        var path = new List<(double X, double Y)>();
        var checkpoints = new List<(double X, double Y)>();
        for (int step = 0; step < Steps; step++)
        {
            // The gradient of x² + 10·y², plus noise of a minibatch's size.
            double gx = 2 * x + 2 * rng.NextGaussian(), gy = 20 * y + 6 * rng.NextGaussian();
            x -= rate(step) * gx;
            y -= rate(step) * gy;
            emaX = Decay * emaX + (1 - Decay) * x;
            emaY = Decay * emaY + (1 - Decay) * y;
            if (step >= Steps - 200) path.Add((x, y));
            if ((step + 1) % Every == 0) checkpoints.Add((x, y));
        }
        var last = checkpoints.TakeLast(Kept).ToList();
        (double X, double Y) mean = (last.Average(c => c.X), last.Average(c => c.Y));

        var plot = LinePanels.Create(title, "x", "y");
        var steps = plot.Add.Markers(path.Select(p => p.X).ToArray(), path.Select(p => p.Y).ToArray(), MarkerShape.FilledCircle, 3,
            Colors.Gray);
        steps.LegendText = "the last 200 steps";
        Point(plot, last, MarkerShape.FilledSquare, 9, Colors.C0, $"the last {Kept} checkpoints (every {Every} steps)");
        Point(plot, [mean], MarkerShape.FilledDiamond, 16, Colors.C2, $"their mean (--average-last {Kept})");
        Point(plot, [(emaX, emaY)], MarkerShape.FilledTriangleUp, 16, Colors.C1, $"moving average (--ema {Decay})");
        Point(plot, [(0, 0)], MarkerShape.Cross, 18, Colors.Black, "the minimum");
        plot.Axes.SetLimits(-0.8, 2.2, -0.8, 0.8);     // room on the right for the legend
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    // Markers at `points`, named with their distance from the minimum (the first one's, or the farthest of several).
    private static void Point(Plot plot, List<(double X, double Y)> points, MarkerShape shape, float size, Color color, string label)
    {
        var markers = plot.Add.Markers(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), shape, size, color);
        double distance = points.Max(p => Math.Sqrt(p.X * p.X + p.Y * p.Y));
        markers.LegendText = points.Count == 1 && (points[0].X, points[0].Y) == (0, 0)
            ? label
            : string.Create(CultureInfo.InvariantCulture, $"{label}: {(points.Count > 1 ? "farthest " : "")}{distance:F3} away");
    }
}
