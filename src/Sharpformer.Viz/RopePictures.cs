using System.Globalization;

namespace Sharpformer.Viz;

/// <summary>The rotations of rotary position embeddings: cos(position·θ^(−2i/d)) per position and pair, as a heatmap.</summary>
public static class RopePictures
{
    /// <summary>
    /// Writes the cosine of the angle each pair i of a <paramref name="headSize"/>-wide head turns by at
    /// positions 0 … <paramref name="length"/> − 1, base <paramref name="theta"/>: fast turns on the left,
    /// slow ones on the right.
    /// </summary>
    public static void Write(int headSize, int length, float theta, string path)
    {
        if (headSize < 2 || headSize % 2 != 0) throw new ArgumentException($"rotary embeddings need an even head size, not {headSize}");
        if (length < 1) throw new ArgumentException($"the rotary picture needs at least 1 position, not {length}");
        if (!(theta > 1f) || !float.IsFinite(theta))
            throw new ArgumentException($"the base θ must be a finite number above 1, not {theta}");
        int pairs = headSize / 2;
        var values = new float[length, pairs];
        for (int i = 0; i < pairs; i++)
        {
            double frequency = Math.Pow(theta, -2.0 * i / headSize);
            for (int p = 0; p < length; p++) values[p, i] = (float)Math.Cos(p * frequency);
        }
        var plot = Heatmaps.Panel(values, new ScottPlot.Colormaps.Balance(), null, "pair i (dimension i with i + d/2)", "position",
                                  null, null, new ScottPlot.Range(-1, 1), "cos(position·θ^(−2i/d))");
        var rowTicks = new ScottPlot.TickGenerators.NumericManual();
        int step = Math.Max(1, length / 8);
        for (int p = 0; p < length; p += step) rowTicks.AddMajor(length - 1 - p, p.ToString(CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = rowTicks;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        int width = Math.Clamp(260 + pairs * 12, 700, 1200), height = Math.Clamp(200 + length * 3, 500, 1000);
        Figure.Save(path, [plot], 1, width, height, "Rotary position embeddings",
            string.Create(CultureInfo.InvariantCulture,
                $"{length} positions × {pairs} pairs of a {headSize}-wide head, base θ = {theta}: each pair turns at its own speed"));
    }
}
