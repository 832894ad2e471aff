using System.Globalization;
using ScottPlot;
using Sharpformer.Tensors;

namespace Sharpformer.Viz;

/// <summary>The memory attention holds against the sequence length: the tiled op against the one that stores the probabilities.</summary>
public static class MemoryPictures
{
    /// <summary>
    /// Writes, for T = 128, 256, … up to <paramref name="longest"/> (queries = keys), the bytes each op holds
    /// besides its inputs and output (<see cref="Tensor.FlashAttentionBytes"/>, <see cref="Tensor.AttentionBytes"/>),
    /// on logarithmic axes.
    /// </summary>
    public static void WriteAttention(int batch, int heads, int headSize, int threads, int longest, string path)
    {
        if (batch < 1 || heads < 1 || headSize < 1 || threads < 1)
            throw new ArgumentException("batch, heads, head size and threads must be at least 1");
        if (longest < 128) throw new ArgumentException($"the memory picture needs lengths of at least 128, not {longest}");
        var lengths = new List<int>();
        for (long t = 128; t <= longest; t *= 2) lengths.Add((int)t);
        double[] x = [.. lengths.Select(t => Math.Log2(t))];
        double[] tiled = [.. lengths.Select(t => Tensor.FlashAttentionBytes(batch, heads, t, headSize, threads) / 1048576.0)];
        double[] stored = [.. lengths.Select(t => Tensor.AttentionBytes(batch, heads, t, t, false, threads) / 1048576.0)];

        var plot = new Plot();
        foreach (var (values, label, color) in new[] { (stored, "stored probabilities (Tensor.Attention)", Colors.C1),
                                                       (tiled, "tiles (Tensor.FlashAttention)", Colors.C0) })
        {
            var line = plot.Add.Scatter(x, [.. values.Select(Math.Log10)], color);
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        plot.Title("Memory attention holds (forward + backward)", 16);
        plot.XLabel("sequence length T (queries = keys)", 14);
        plot.YLabel("MB held besides inputs and output (log scale)", 14);
        var lengthTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < lengths.Count; i++) lengthTicks.AddMajor(x[i], lengths[i].ToString(CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = lengthTicks;
        plot.Axes.Left.TickGenerator = CurvePictures.LogTicks([.. tiled, .. stored]);
        plot.Axes.Left.MinimumSize = 90;
        plot.ShowLegend(Alignment.UpperLeft);
        Figure.Save(path, [plot], 1, 900, 560, "Tiled against stored attention",
            string.Create(CultureInfo.InvariantCulture,
                $"batch {batch}, {heads} heads of {headSize}, {threads} thread(s): " +
                $"saved for the backward pass plus every thread's scratch"));
    }
}
