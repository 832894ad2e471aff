using ScottPlot;

namespace Sharpformer.Viz;

/// <summary>Draws <see cref="AttentionMap"/>s: one PNG per map (kind and layer) with a panel per head.</summary>
public static class AttentionPictures
{
    /// <summary>
    /// Writes <paramref name="map"/> to <paramref name="path"/>: its heads side by side (at most four a row),
    /// queries down and keys across, on one colour scale from 0 to the largest weight (rounded up to a tenth).
    /// </summary>
    public static void Write(AttentionMap map, string path)
    {
        int heads = map.Weights.Length, queries = map.QueryTokens.Length, keys = map.KeyTokens.Length;
        int longest = Math.Max(queries, keys);
        int cell = Math.Clamp(520 / Math.Max(longest, 1), 14, 44);
        float tickFont = Math.Clamp(cell * 0.55f, 9, 14);
        float rowLabelWidth = Heatmaps.LabelWidth(map.QueryTokens, tickFont),
            columnLabelWidth = Heatmaps.LabelWidth(map.KeyTokens, tickFont);
        bool rotate = columnLabelWidth > cell * 0.95f;                 // labels wider than a cell stand upright
        int panelWidth = Math.Max(320, (int)(60 + rowLabelWidth + keys * cell + 120));
        int panelHeight = Math.Max(300, (int)(50 + queries * cell + 60 + (rotate ? columnLabelWidth : 20)));
        (string xLabel, string yLabel) = map.Kind switch
        {
            AttentionKind.EncoderSelf => ("key (source token)", "query (source token)"),
            AttentionKind.DecoderSelf => ("key (decoder input)", "query (decoder input)"),
            _ => ("key (source token)", "query (decoder input)"),
        };
        // One colour scale for all heads of the figure, from 0 to the largest weight rounded up to a tenth:
        // a fixed 0–1 scale leaves the spread-out attention of long sentences all one dark colour.
        float largest = map.Weights.Max(w => w.Cast<float>().Max());
        double top = Math.Clamp(Math.Ceiling(largest * 10 - 1e-6) / 10, 0.1, 1);
        var panels = new Plot[heads];
        for (int h = 0; h < heads; h++)
            panels[h] = Heatmaps.Panel(map.Weights[h], new ScottPlot.Colormaps.Viridis(), $"head {h + 1}", xLabel, yLabel,
                                       map.KeyTokens, map.QueryTokens, new ScottPlot.Range(0, top), "attention weight", tickFont, rotate);
        Figure.Save(path, panels, Math.Min(heads, 4), panelWidth, panelHeight, map.Title);
    }
}
