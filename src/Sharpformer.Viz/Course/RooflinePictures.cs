using System.Globalization;
using ScottPlot;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 13: the roofline of one core — a product runs at most at the GEMM's peak, or at the speed its bytes stream
/// in times the flops it does per byte — with the products of training and decoding the <c>big</c> model placed on it.
/// </summary>
internal static class RooflinePictures
{
    // One core of the development machine, as measured on pages 02 and 13: the packed GEMM's best, and the rate at
    // which GemmVector streams the decoder's weights from L3.
    private const double PeakGflops = 240, StreamGBps = 80;

    /// <summary>Writes the roof and one point per product, at its arithmetic intensity and the speed the roof allows.</summary>
    public static void Write(string path)
    {
        // The big preset: d_model 256, d_ff 1,024, vocabulary 8,000; a training batch of 32 × 32 target tokens.
        (string Label, int M, int K, int N, int WeightBytes)[] products =
        [
            ("training: feed-forward, 1,024 tokens × [256 → 1,024]", 1024, 256, 1024, 4),
            ("training: output layer, 1,024 tokens × [256 → 8,000]", 1024, 256, 8000, 4),
            ("decoding, 32 sentences at once: feed-forward, 32 rows", 32, 256, 1024, 4),
            ("decoding, beam 4, int8 weights: feed-forward, 4 rows", 4, 256, 1024, 1),
            ("decoding, beam 4: feed-forward, 4 rows", 4, 256, 1024, 4),
            ("decoding, batch 1, int8 weights: feed-forward, 1 row", 1, 256, 1024, 1),
            ("decoding, batch 1: feed-forward, 1 row", 1, 256, 1024, 4),
        ];
        var plot = LinePanels.Create("The roofline of one core", "arithmetic intensity: flops per byte moved (log scale)",
            "GFLOP/s at best (log scale)");
        double[] intensities = [0.1, PeakGflops / StreamGBps, 1000];   // the roof's two ends and its knee
        double[] roof = [.. intensities.Select(Attainable)];
        LinePanels.Line(plot, [.. intensities.Select(Math.Log10)], [.. roof.Select(Math.Log10)],
            string.Create(CultureInfo.InvariantCulture, $"roof: min({PeakGflops} GFLOP/s, {StreamGBps} GB/s × intensity)"),
            Colors.Black, width: 3);
        for (int i = 0; i < products.Length; i++)
        {
            var (label, m, k, n, weightBytes) = products[i];
            // Flops 2·m·k·n; bytes: the weights once, the input and the output in float32.
            double intensity = 2.0 * m * k * n / ((double)k * n * weightBytes + 4.0 * (m * k + m * n));
            // Beam 4 in float32 and one row in int8 both do about 2 flops a byte: the second is drawn as a ring around the first.
            bool ring = weightBytes == 1 && m == 1;
            var point = plot.Add.Marker(Math.Log10(intensity), Math.Log10(Attainable(intensity)),
                ring ? MarkerShape.OpenCircle : MarkerShape.FilledCircle, ring ? 24 : 14, Colors.Category10[i + 1]);
            point.LegendText = string.Create(CultureInfo.InvariantCulture, $"{label}: {intensity:0.##} flop/B");
        }
        plot.Axes.Bottom.TickGenerator = CurvePictures.LogTicks(intensities);
        plot.Axes.Left.TickGenerator = CurvePictures.LogTicks(roof);
        plot.ShowLegend(Alignment.LowerRight);
        Figure.Save(path, [plot], 1, 1000, 560, "Training is bound by arithmetic, decoding by memory",
            string.Create(CultureInfo.InvariantCulture,
                $"Below {PeakGflops / StreamGBps:0.#} flops a byte a core waits for data: batch-1 decoding does 0.5, so it gains " +
                $"from fewer bytes (int8) and more rows (beams, batches)"));
    }

    private static double Attainable(double intensity) => Math.Min(PeakGflops, StreamGBps * intensity);
}
