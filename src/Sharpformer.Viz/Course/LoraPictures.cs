using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 16: LoRA's update ΔW = (α/r)·B·A against a full update of the same matrix.</summary>
internal static class LoraPictures
{
    private const int Size = 24, Rank = 2;

    /// <summary>
    /// Writes two heatmaps: the product of seeded factors B [24, 2] and A [2, 24] (rank 2:
    /// every row is a mix of A's two rows, which gives the stripes), and a full-rank update for comparison.
    /// </summary>
    public static void Write(string path)
    {
        var rng = new Rng(16);
        var a = Tensor.Normal([Rank, Size], rng);
        var b = Tensor.Normal([Size, Rank], rng);
        var update = b.MatMul(a).Mul(1f / Rank);    // α = 1: ΔW = (α/r)·B·A, [24, 24]
        var full = Tensor.Normal([Size, Size], rng);
        var range = new ScottPlot.Range(-2.5, 2.5);
        var panels = new[]
        {
            Heatmaps.Panel(Heatmaps.Grid(update), new ScottPlot.Colormaps.Balance(), "LoRA: ΔW = (α/r)·B·A, rank 2", "input feature",
                "output feature", null, null, range, "ΔW"),
            Heatmaps.Panel(Heatmaps.Grid(full), new ScottPlot.Colormaps.Balance(), "full fine-tuning: any ΔW, rank 24", "input feature",
                "output feature", null, null, range, "ΔW"),
        };
        Figure.Save(path, panels, 2, 560, 500, "A low-rank update",
            string.Create(CultureInfo.InvariantCulture,
                $"A {Size}×{Size} weight: LoRA trains r·(in + out) = {Rank * 2 * Size} numbers, full fine-tuning {Size * Size}. " +
                $"Each row of B·A mixes the same {Rank} rows of A"));
    }
}
