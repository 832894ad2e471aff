using System.Globalization;
using Sharpformer.Kernels;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 2: how the blocked GEMM cuts C into macro-blocks and micro-tiles (the AVX-512 kernel's constants).</summary>
internal static class GemmPictures
{
    private const int M = 480, N = 1024;

    /// <summary>
    /// Writes C [480, 1024] as a grid of MR × NR micro-tiles, each coloured by the macro-block (MC rows × NC columns)
    /// it belongs to, numbered in the order the loop nest visits them: column blocks outside, row blocks inside.
    /// </summary>
    public static void Write(string path)
    {
        int mr = GemmKernelAvx512.MR, nr = GemmKernelAvx512.NR, mc = GemmKernelAvx512.MC, nc = GemmKernelAvx512.NC;
        int tileRows = (M + mr - 1) / mr, tileColumns = (N + nr - 1) / nr, rowBlocks = (M + mc - 1) / mc;
        var order = new float[tileRows, tileColumns];
        for (int r = 0; r < tileRows; r++)
            for (int c = 0; c < tileColumns; c++) order[r, c] = c * nr / nc * rowBlocks + r * mr / mc;
        var plot = Heatmaps.Panel(order, new ScottPlot.Colormaps.Turbo(), null, $"micro-tile column ({nr} columns of C each)",
            $"micro-tile row ({mr} rows each)", null, null, null, "macro-block, in loop order");
        var blocks = new float[rowBlocks, (N + nc - 1) / nc];
        for (int r = 0; r < tileRows; r++)
            for (int c = 0; c < tileColumns; c++) blocks[r * mr / mc, c * nr / nc] = order[r, c];
        // One number per macro-block, at its centre.
        for (int b = 0; b < blocks.GetLength(0); b++)
            for (int j = 0; j < blocks.GetLength(1); j++)
            {
                double x = (j * nc / nr + Math.Min(tileColumns, (j + 1) * nc / nr)) / 2.0 - 0.5;
                double y = tileRows - (b * mc / mr + Math.Min(tileRows, (b + 1) * mc / mr)) / 2.0 - 0.5;
                var label = plot.Add.Text(blocks[b, j].ToString("0", CultureInfo.InvariantCulture), x, y);
                label.LabelFontSize = 28;
                label.LabelFontName = EmbeddedFonts.Family;
                label.LabelBold = true;
                label.LabelFontColor = ScottPlot.Colors.White;
                label.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
            }
        Figure.Save(path, [plot], 1, 1000, 560, "The blocked matrix product: C cut for the caches",
            string.Create(CultureInfo.InvariantCulture,
                $"C [{M}, {N}]: {tileRows} × {tileColumns} micro-tiles of {mr} × {nr} in macro-blocks of {mc} × {nc} " +
                $"(packed A and B in L2, B's {GemmKernelAvx512.KC} × {nr} panels in L1)"));
    }
}
