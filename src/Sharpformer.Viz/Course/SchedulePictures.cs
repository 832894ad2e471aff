using ScottPlot;
using Sharpformer.Optim;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 9: learning-rate schedules, computed by <see cref="LearningRateSchedule"/>.</summary>
internal static class SchedulePictures
{
    /// <summary>
    /// Writes two panels: the paper's schedule for d = 512 with 4,000 warmup steps (and 8,000 for comparison), and the
    /// trainer's three schedules at a peak of 1e-3 with 300 warmup steps over 8,000 updates.
    /// </summary>
    public static void Write(string path)
    {
        var paper = LinePanels.Create("The paper's schedule (d_model = 512)", "update", "learning rate");
        foreach (var (warmup, color) in new[] { (4000, Colors.C0), (8000, Colors.C1) })
            Add(paper, LearningRateSchedule.Noam(512, warmup), 100_000, $"warmup {warmup:N0}", color);
        paper.ShowLegend(Alignment.UpperRight);

        const int steps = 8000, warmupSteps = 300;
        const float peak = 1e-3f;
        var trainer = LinePanels.Create("The trainer's schedules (--lr 1e-3 --warmup 300)", "update", "learning rate");
        Add(trainer, LearningRateSchedule.WarmupCosine(peak, warmupSteps, steps), steps, "cosine (the default)", Colors.C0);
        Add(trainer, LearningRateSchedule.WarmupLinear(peak, warmupSteps, steps), steps, "linear", Colors.C1);
        // The trainer's inverse square root peaks at --lr: factor = lr·√d·√warmup (see Trainer).
        Add(trainer, LearningRateSchedule.Noam(128, warmupSteps, peak * MathF.Sqrt(128) * MathF.Sqrt(warmupSteps)), steps,
            "inverse square root", Colors.C2);
        trainer.ShowLegend(Alignment.UpperRight);
        Figure.Save(path, [paper, trainer], 2, 620, 460, "Learning-rate schedules",
            "A linear warmup keeps Adam's first steps small while its moment estimates settle; the decay after it anneals the weights");
    }

    private static void Add(Plot plot, LearningRateSchedule schedule, int steps, string label, Color color)
    {
        int stride = Math.Max(1, steps / 1000);
        var xs = new List<double>();
        var ys = new List<double>();
        for (int step = 0; step < steps; step += stride)
        {
            xs.Add(step);
            ys.Add(schedule.At(step));
        }
        LinePanels.Line(plot, [.. xs], [.. ys], label, color);
    }
}
