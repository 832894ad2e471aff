using System.Globalization;
using ScottPlot;
using Sharpformer.Kernels;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 17: what rounding to bfloat16 costs, measured with <see cref="BFloat16"/>.</summary>
internal static class PrecisionPictures
{
    private const int Octaves = 3, BinsPerOctave = 64, SamplesPerBin = 64;

    /// <summary>
    /// Writes the largest relative error of rounding x to bfloat16 in each of 64 bins per octave, for x from 1 to 8: a
    /// sawtooth that restarts at each power of two and never exceeds 2⁻⁸ (8 significant bits, rounded to nearest).
    /// </summary>
    public static void Write(string path)
    {
        var xs = new double[Octaves * BinsPerOctave];
        var worst = new double[xs.Length];
        for (int bin = 0; bin < xs.Length; bin++)
        {
            xs[bin] = (bin + 0.5) / BinsPerOctave;      // log2 of the bin's middle
            for (int s = 0; s < SamplesPerBin; s++)
            {
                float x = MathF.Pow(2, (bin + (s + 0.5f) / SamplesPerBin) / BinsPerOctave);
                float rounded = BFloat16.ToFloat(BFloat16.FromFloat(x));
                worst[bin] = Math.Max(worst[bin], Math.Abs(rounded - x) / x);
            }
        }
        var plot = LinePanels.Create("Largest relative error of rounding to bfloat16", "x (log scale)", "max |bf16(x) − x| / x");
        LinePanels.Line(plot, xs, worst, $"measured, {SamplesPerBin} values in each 1/{BinsPerOctave} of an octave", Colors.C0);
        LinePanels.Line(plot, [0, Octaves], [Math.Pow(2, -8), Math.Pow(2, -8)], "bound 2⁻⁸ ≈ 0.0039: half a step of 2⁻⁷ at x = 1",
            Colors.C3, dashed: true);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int power = 0; power <= Octaves; power++) ticks.AddMajor(power, Math.Pow(2, power).ToString(CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsY(0, Math.Pow(2, -8) * 1.25);
        plot.ShowLegend(Alignment.UpperRight);
        Figure.Save(path, [plot], 1, 900, 460, "bfloat16 keeps 8 significant bits",
            "7 fraction bits: neighbours lie 2⁻⁷ of the power of two below x apart, so the error falls from 2⁻⁸ to 2⁻⁹ in each octave");
    }
}
