using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 1: one storage, several views. Each cell shows which element of the storage the view reads.</summary>
internal static class TensorPictures
{
    /// <summary>
    /// Writes three views as numbered grids: a [3, 4] tensor over the storage 0 … 11, its transpose (the same storage,
    /// strides swapped) and a [3, 1] column expanded to [3, 4] (stride 0: one element read four times).
    /// </summary>
    public static void WriteStrides(string path)
    {
        // Arange makes each element equal to its offset in the storage, so the values are the offsets each view reads.
        var x = Tensor.Arange(12).Reshape(3, 4);
        var column = Tensor.Arange(3).Reshape(3, 1);
        (string Name, Tensor View)[] views = [("x", x), ("x.Transpose(0, 1)", x.Transpose(0, 1)), ("c.Expand(3, 4)", column.Expand(3, 4))];
        var panels = views.Select(v =>
        {
            var grid = Heatmaps.Grid(v.View);
            var plot = Heatmaps.Panel(grid, new ScottPlot.Colormaps.Blues(), $"{v.Name}: shape {Describe(v.View.Shape)}, strides " +
                Describe(v.View.Strides), "column", "row", Labels(grid.GetLength(1)), Labels(grid.GetLength(0)),
                new ScottPlot.Range(0, 24), "storage offset read");
            Heatmaps.Numbers(plot, grid, value => value.ToString("0", CultureInfo.InvariantCulture), value => value < 16, 18);
            return plot;
        }).ToList();
        Figure.Save(path, panels, 3, 430, 400, "One storage, three views",
            "Each cell holds the storage offset it reads: offset = Σ index·stride. Transpose swaps the strides; Expand uses stride 0.");
    }

    private static string Describe(ReadOnlySpan<int> values) => $"[{string.Join(", ", values.ToArray())}]";

    private static string[] Labels(int count) => [.. Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture))];
}
