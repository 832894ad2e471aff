using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapters 5 and 8: the weights softmax(QKᵀ/√d) of random queries and keys (seeded), drawn with and without the
/// √d scaling and with and without the causal mask.
/// </summary>
internal static class AttentionWeightPictures
{
    private const int Tokens = 8, HeadSize = 64;

    /// <summary>
    /// Writes the weights with the scaling and without it side by side, with each one's mean row entropy: unscaled
    /// scores have a standard deviation of √d, and their softmax collapses onto one key per row.
    /// </summary>
    public static void WriteScaling(string path)
    {
        var (queries, keys) = QueriesAndKeys();
        var scores = queries.MatMul(keys.Transpose(0, 1));     // [T, T]
        var scaled = scores.Mul(1f / MathF.Sqrt(HeadSize)).Softmax(1);
        var unscaled = scores.Softmax(1);
        Figure.Save(path, [Panel(scaled, "softmax(QKᵀ / √d)"), Panel(unscaled, "softmax(QKᵀ): no scaling")], 2, 560, 500,
            "Why attention divides by √d",
            string.Create(CultureInfo.InvariantCulture,
                $"{Tokens} random queries and keys, d = {HeadSize}, entries N(0, 1). Mean row entropy: {Entropy(scaled):F2} nats scaled, " +
                $"{Entropy(unscaled):F2} unscaled (uniform: ln {Tokens} = {Math.Log(Tokens):F2})"));
    }

    /// <summary>Writes the scaled weights without a mask and with the causal mask (each position sees itself and the past).</summary>
    public static void WriteCausalMask(string path)
    {
        var (queries, keys) = QueriesAndKeys();
        var scores = queries.MatMul(keys.Transpose(0, 1)).Mul(1f / MathF.Sqrt(HeadSize));     // [T, T]
        var future = new float[Tokens * Tokens];
        for (int q = 0; q < Tokens; q++)
            for (int k = q + 1; k < Tokens; k++) future[q * Tokens + k] = float.NegativeInfinity;
        var masked = scores.Add(Tensor.FromArray(future, Tokens, Tokens)).Softmax(1);
        var panels = new[]
        {
            Panel(scores.Softmax(1), "no mask (encoder self-attention)"), Panel(masked, "causal mask (decoder self-attention)"),
        };
        Figure.Save(path, panels, 2, 560, 500, "The causal mask",
            "Scores above the diagonal (later keys) are set to −∞ before the softmax: row t spreads its weight over positions 0 … t only");
    }

    // Seeded N(0, 1) queries and keys [T, d]: the same on every machine.
    private static (Tensor Queries, Tensor Keys) QueriesAndKeys()
    {
        var rng = new Rng(2017);
        return (Tensor.Normal([Tokens, HeadSize], rng), Tensor.Normal([Tokens, HeadSize], rng));
    }

    private static ScottPlot.Plot Panel(Tensor weights, string title)
    {
        var grid = Heatmaps.Grid(weights);
        var labels = Enumerable.Range(0, Tokens).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var plot = Heatmaps.Panel(grid, new ScottPlot.Colormaps.Viridis(), title, "key position", "query position", labels, labels,
            new ScottPlot.Range(0, 1), "attention weight");
        Heatmaps.Numbers(plot, grid, w => w < 0.005f ? "" : w.ToString("0.00", CultureInfo.InvariantCulture), w => w < 0.6f, 10);
        return plot;
    }

    // The mean over rows of −Σ p·ln p.
    private static double Entropy(Tensor weights)
    {
        var p = weights.ToArray();
        double total = 0;
        foreach (float w in p) if (w > 0) total -= w * Math.Log(w);
        return total / Tokens;
    }
}
