using System.Globalization;
using Sharpformer.Kernels;
using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 14: how the tiled (flash) attention walks the score matrix of causal attention, with the tile sizes of
/// <see cref="FlashAttention"/>: one block of queries at a time, its key tiles left to right, the tiles above the
/// diagonal never visited, and only a running maximum, sum and output kept per query row.
/// </summary>
internal static class FlashTilingPictures
{
    private const int Length = 600;   // positions, not a multiple of the tile: the last tiles are partial

    /// <summary>Writes the [T, T] score matrix cut into tiles, coloured by what the kernel does with each.</summary>
    public static void Write(string path)
    {
        int queryTile = FlashAttention.QueryTile, keyTile = FlashAttention.KeyTile;
        int rows = (Length + queryTile - 1) / queryTile, columns = (Length + keyTile - 1) / keyTile;
        using var diagram = new Diagram(1180, 700, "Tiled attention over a causal mask",
            string.Create(CultureInfo.InvariantCulture,
                $"T = {Length}: scores cut into tiles of {queryTile} queries × {keyTile} keys (FlashAttention.QueryTile, KeyTile)"));
        const float left = 90, top = 110, size = 560;
        float scale = size / Length;
        var visited = new SKColor(120, 160, 230);
        var diagonal = new SKColor(245, 190, 110);
        var skipped = new SKColor(232, 232, 232);
        int visitedCount = 0, skippedCount = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                int q0 = r * queryTile, k0 = c * keyTile;
                int q1 = Math.Min(Length, q0 + queryTile), k1 = Math.Min(Length, k0 + keyTile);
                // The kernel stops a query block's keys at its last query (KeyEnd): tiles wholly above the diagonal are skipped.
                bool above = k0 >= q1, crosses = !above && k1 > q0 + 1;
                var color = above ? skipped : crosses ? diagonal : visited;
                if (above) skippedCount++; else visitedCount++;
                diagram.Rect(left + k0 * scale + 1, top + q0 * scale + 1, (k1 - k0) * scale - 2, (q1 - q0) * scale - 2, color);
            }
        diagram.Text(left + size / 2, top - 12, "keys →", 15);
        diagram.Text(left - 50, top + size / 2, "queries", 15);
        diagram.Text(left - 50, top + size / 2 + 20, "↓", 15);
        diagram.Arrow(left + 8, top + queryTile * scale * 2.5f, left + 3.5f * keyTile * scale, top + queryTile * scale * 2.5f,
            new SKColor(30, 30, 30), 2.5f);

        float x = 700;
        diagram.Text(x, 140, "What each tile costs", 17, bold: true, left: true);
        Legend(diagram, x, 170, visited, string.Create(CultureInfo.InvariantCulture,
            $"below the diagonal: S = q·kᵀ/√d, softmax, O += P·v"));
        Legend(diagram, x, 205, diagonal, "on the diagonal: the same, keys after the query get −∞");
        Legend(diagram, x, 240, skipped, string.Create(CultureInfo.InvariantCulture,
            $"above it: never visited ({skippedCount} of {rows * columns} tiles)"));
        string[] notes =
        [
            "A block of queries (a row of tiles, the arrow) reads its",
            "key tiles left to right, keeping per query row only",
            "a running maximum m, a running sum l and the output O:",
            "",
            "    m' = max(m, max of the new scores)",
            "    O ← O·e^(m − m') + e^(S − m')·v,   l likewise",
            "",
            "and divides O by l at the end. A tile of scores lives",
            "only while its block is processed, so memory grows with T",
            "(m, l, O), not with T² as when every score is stored.",
            string.Create(CultureInfo.InvariantCulture, $"Here {visitedCount} tiles are computed against {rows * columns} for"),
            "attention without a mask; the backward pass walks the same",
            "tiles and recomputes each score from the saved m + ln l.",
        ];
        for (int i = 0; i < notes.Length; i++) diagram.Text(x, 300 + i * 22, notes[i], 15, left: true);
        diagram.Save(path);
    }

    private static void Legend(Diagram diagram, float x, float y, SKColor color, string text)
    {
        diagram.Rect(x, y - 14, 26, 18, color);
        diagram.Text(x + 36, y, text, 15, left: true);
    }
}
