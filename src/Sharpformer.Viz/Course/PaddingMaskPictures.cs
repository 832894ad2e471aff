using System.Globalization;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 7: a padded batch and the key-padding mask (<see cref="AttentionMask.KeyPadding"/>) at work.</summary>
internal static class PaddingMaskPictures
{
    private const int Length = 6, HeadSize = 16;
    private static readonly int[] Lengths = [6, 4, 2];

    /// <summary>
    /// Writes the attention weights of three sentences of 6, 4 and 2 tokens padded to 6, with random (seeded) queries and
    /// keys: the padded keys get weight 0 in every row, so the real tokens never read padding.
    /// </summary>
    public static void Write(string path)
    {
        int batch = Lengths.Length;
        var ids = new float[batch * Length];                 // padding id 0, real tokens 5, 6, …
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < Lengths[b]; t++) ids[b * Length + t] = 5 + t;
        var mask = AttentionMask.KeyPadding(Tensor.FromArray(ids, batch, Length), padId: 0);    // [B, 1, 1, S]
        var rng = new Rng(7);
        var (q, k, v) = (Tensor.Normal([batch, 1, Length, HeadSize], rng), Tensor.Normal([batch, 1, Length, HeadSize], rng),
            Tensor.Normal([batch, 1, Length, HeadSize], rng));
        var (_, weights) = Tensor.Attention(q, k, v, mask.Additive, returnWeights: true);           // [B, 1, T, S]
        var panels = new List<ScottPlot.Plot>();
        for (int b = 0; b < batch; b++)
        {
            var grid = Heatmaps.Grid(weights!.Narrow(0, b, 1).Reshape(Length, Length));      // [T, S] of sentence b
            string[] labels = [.. Enumerable.Range(0, Length).Select(t => t < Lengths[b] ? $"w{t}" : "<pad>")];
            var plot = Heatmaps.Panel(grid, new ScottPlot.Colormaps.Viridis(), $"sentence {b + 1}: {Lengths[b]} tokens", "key", "query",
                labels, labels, new ScottPlot.Range(0, 1), "attention weight");
            Heatmaps.Numbers(plot, grid, w => w.ToString("0.00", CultureInfo.InvariantCulture), w => w < 0.6f, 10);
            panels.Add(plot);
        }
        Figure.Save(path, panels, 3, 470, 430, "The key-padding mask",
            "A batch padded to 6 tokens: −∞ is added to every score of a padded key, so each row's weights sum to 1 over the real tokens");
    }
}
