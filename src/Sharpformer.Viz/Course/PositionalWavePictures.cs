using System.Globalization;
using ScottPlot;
using Sharpformer.NN;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 4: the sinusoidal encoding as waves, one frequency per pair of dimensions.</summary>
internal static class PositionalWavePictures
{
    private const int Dim = 64, Positions = 100;

    /// <summary>
    /// Writes two panels: a few columns of the encoding (d = 64) against the position, read from
    /// <see cref="SinusoidalPositionalEncoding"/>, and the wavelength of every pair, 2π up to 2π·10000.
    /// </summary>
    public static void Write(string path)
    {
        var encoding = new SinusoidalPositionalEncoding(Dim, Positions);
        var table = encoding.Rows(Positions).ToArray();     // [positions, Dim]
        var waves = LinePanels.Create("Columns of the encoding", "position p", "PE(p, dimension)");
        double[] positions = [.. Enumerable.Range(0, Positions).Select(p => (double)p)];
        int[] columns = [0, 4, 12, 24];
        for (int k = 0; k < columns.Length; k++)
        {
            int i = columns[k];
            double[] values = [.. Enumerable.Range(0, Positions).Select(p => (double)table[p * Dim + i])];
            LinePanels.Line(waves, positions, values, string.Create(CultureInfo.InvariantCulture,
                $"dimension {i}: wavelength {Wavelength(i):F1}"), Colors.Category10[k]);
        }
        waves.ShowLegend(Alignment.LowerRight);

        var lengths = LinePanels.Create("Wavelength of each pair", "pair i (dimensions 2i and 2i + 1)",
            "wavelength in positions (log scale)");
        double[] pairs = [.. Enumerable.Range(0, Dim / 2).Select(i => (double)i)];
        double[] logWavelengths = [.. Enumerable.Range(0, Dim / 2).Select(i => Math.Log10(Wavelength(2 * i)))];
        LinePanels.Line(lengths, pairs, logWavelengths, null, Colors.C0);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (int power in (int[])[1, 2, 3, 4, 5])
            ticks.AddMajor(power, Math.Pow(10, power).ToString("N0", CultureInfo.InvariantCulture));
        lengths.Axes.Left.TickGenerator = ticks;
        Figure.Save(path, [waves, lengths], 2, 620, 460, "The positional encoding as waves",
            $"d = {Dim}: pair i oscillates with wavelength 2π·10000^(2i/d), from 2π positions (fast) to about 62,800 (slow)");
    }

    // The wavelength of dimension i: 2π·10000^(2⌊i/2⌋/d).
    private static double Wavelength(int i) => 2 * Math.PI * Math.Pow(10000, 2.0 * (i / 2) / Dim);
}
