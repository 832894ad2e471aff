using Sharpformer.NN;

namespace Sharpformer.Viz;

/// <summary>The sinusoidal positional-encoding matrix as a heatmap.</summary>
public static class PositionalPictures
{
    /// <summary>
    /// Writes the [positions, dimensions] table of <paramref name="encoding"/> (its first <paramref name="length"/> positions,
    /// all by default).
    /// </summary>
    public static void Write(SinusoidalPositionalEncoding encoding, string path, int? length = null)
    {
        int positions = Math.Min(length ?? encoding.MaxLength, encoding.MaxLength), dim = encoding.Dim;
        if (positions < 1) throw new ArgumentException("the positional-encoding picture needs at least one position");
        var table = encoding.Rows(positions).ToArray();
        var values = new float[positions, dim];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < dim; i++) values[p, i] = table[p * dim + i];

        var plot = Heatmaps.Panel(values, new ScottPlot.Colormaps.Balance(), null, "dimension  (even: sin, odd: cos)", "position",
                                  null, null, new ScottPlot.Range(-1, 1), "PE(position, dimension)");
        // Position 0 at the top: row p sits at y = positions − 1 − p, so the ticks are placed by hand.
        var rowTicks = new ScottPlot.TickGenerators.NumericManual();
        int step = NiceStep(positions / 10.0);
        for (int p = 0; p < positions; p += step)
            rowTicks.AddMajor(positions - 1 - p, p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = rowTicks;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        int width = Math.Clamp(260 + dim * 6, 700, 1200), height = Math.Clamp(200 + positions * 4, 500, 1000);
        Figure.Save(path, [plot], 1, width, height, "Sinusoidal positional encoding",
                    $"{positions} positions × {dim} dimensions: PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d))");
    }

    /// <summary>Writes the encoding of width <paramref name="dim"/> for <paramref name="length"/> positions.</summary>
    public static void Write(int dim, int length, string path) => Write(new SinusoidalPositionalEncoding(dim, length), path);

    // The smallest of 1, 2, 5, 10, 20, 50 … at least as large as x.
    private static int NiceStep(double x)
    {
        for (int scale = 1; ; scale *= 10)
            foreach (int m in (int[])[1, 2, 5])
                if (m * scale >= x) return m * scale;
    }
}
