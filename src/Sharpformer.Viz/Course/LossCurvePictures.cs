using System.Globalization;
using ScottPlot;
using Sharpformer.Training;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 9: the losses of a real training run — <see cref="TrainingRun"/> on the reverse task, as
/// <c>sharpformer train --task reverse</c> runs it — with the two numbers a loss is checked against: ln C at the start,
/// and the floor that label smoothing puts under the training loss.
/// </summary>
internal static class LossCurvePictures
{
    private const int Steps = 200;
    private const float Smoothing = 0.1f;

    /// <summary>Trains in a temporary folder, reads its metrics.jsonl and draws the training and validation losses.</summary>
    public static void Write(string path)
    {
        string folder = Directory.CreateTempSubdirectory("sharpformer-course-").FullName;
        try
        {
            var run = TrainingRun.Start(new TrainingRunOptions
            {
                Directory = folder, Task = "reverse",
                Training = new TrainingOptions { Steps = Steps, EvalEvery = 20, SaveEvery = 0, LogEvery = 5, LabelSmoothing = Smoothing },
            });
            int vocab = run.Model.Config.TargetVocab;
            run.Run();
            var points = MetricsLog.Read(Path.Combine(folder, "metrics.jsonl"));
            Draw(points, vocab, path);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Draw(IReadOnlyList<MetricsPoint> points, int vocab, string path)
    {
        double floor = Floor(Smoothing, vocab), start = Math.Log(vocab);
        var plot = LinePanels.Create("sharpformer train --task reverse (the tiny preset), 200 updates", "update", "loss (nats)");
        LinePanels.Line(plot, [.. points.Select(p => (double)p.Step)], [.. points.Select(p => p.Loss)],
            $"training loss (label smoothing {Smoothing}, dropout 0.1)", Colors.C0);
        var evaluated = points.Where(p => p.ValidLoss is not null).ToArray();
        LinePanels.Line(plot, [.. evaluated.Select(p => (double)p.Step)], [.. evaluated.Select(p => p.ValidLoss!.Value)],
            "validation loss (neither)", Colors.C1);
        LinePanels.Line(plot, [0, Steps], [start, start], string.Create(CultureInfo.InvariantCulture,
            $"ln C = {start:F2}: a uniform guess over C = {vocab} tokens"), Colors.Gray, dashed: true);
        LinePanels.Line(plot, [0, Steps], [floor, floor], string.Create(CultureInfo.InvariantCulture,
            $"the floor under smoothing 0.1: H(q) = {floor:F3}"), Colors.C3, dashed: true);
        plot.Axes.SetLimitsY(0, Math.Max(start, points.Max(p => p.Loss)) * 1.1);
        plot.ShowLegend(Alignment.UpperRight);
        var last = points[^1];
        Figure.Save(path, [plot], 1, 960, 520, "A training run's losses, checked against two numbers",
            string.Create(CultureInfo.InvariantCulture,
                $"Update {last.Step}: training loss {last.Loss:F2} (smoothed, with dropout) above validation loss " +
                $"{last.ValidLoss:F2} (neither); the smoothed loss cannot go below {floor:F2}"));
    }

    // The entropy of the smoothed target q = (1 − ε)·onehot + ε/C: the lowest the smoothed loss can be.
    private static double Floor(double epsilon, int classes)
    {
        double right = 1 - epsilon + epsilon / classes, wrong = epsilon / classes;
        return -(right * Math.Log(right) + (classes - 1) * wrong * Math.Log(wrong));
    }
}
