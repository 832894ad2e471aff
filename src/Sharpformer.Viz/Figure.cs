using ScottPlot;
using Sharpformer.IO;
using SkiaSharp;

namespace Sharpformer.Viz;

/// <summary>
/// One PNG made of ScottPlot panels laid out in a grid under an optional figure title, drawn onto a
/// single Skia canvas (so every panel keeps its own axes, labels and colour bar).
/// </summary>
internal static class Figure
{
    private const float TitleSize = 22, SubtitleSize = 14;
    private const int Margin = 8, Gap = 24;

    /// <summary>
    /// Renders <paramref name="panels"/> row by row, <paramref name="columns"/> per row, each
    /// <paramref name="panelWidth"/> × <paramref name="panelHeight"/> pixels, and writes the PNG atomically.
    /// </summary>
    public static void Save(string path, IReadOnlyList<Plot> panels, int columns, int panelWidth, int panelHeight,
        string? title = null, string? subtitle = null)
    {
        if (panels.Count == 0) throw new ArgumentException("a figure needs at least one panel");
        columns = Math.Clamp(columns, 1, panels.Count);
        int rows = (panels.Count + columns - 1) / columns;
        int header = (title is null ? 0 : 40) + (subtitle is null ? 0 : 24);
        int width = columns * panelWidth + (columns - 1) * Gap + 2 * Margin,
            height = header + rows * panelHeight + (rows - 1) * Gap + 2 * Margin;

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info)
            ?? throw new InvalidOperationException($"could not make a {width}×{height} drawing surface");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        float y = Margin;
        if (title is not null) y = DrawCentered(canvas, title, width, y + 28, TitleSize, bold: true) + 6;
        if (subtitle is not null) DrawCentered(canvas, subtitle, width, y + 18, SubtitleSize, bold: false);

        for (int i = 0; i < panels.Count; i++)
        {
            EmbeddedFonts.Apply(panels[i]);
            // Each panel on its own surface first: a plot clears the whole canvas it is given.
            using var panelSurface = SKSurface.Create(new SKImageInfo(panelWidth, panelHeight, SKColorType.Rgba8888, SKAlphaType.Premul))
                ?? throw new InvalidOperationException($"could not make a {panelWidth}×{panelHeight} drawing surface");
            panels[i].Render(panelSurface.Canvas, panelWidth, panelHeight);
            using var panelImage = panelSurface.Snapshot();
            canvas.DrawImage(panelImage, Margin + i % columns * (panelWidth + Gap), Margin + header + i / columns * (panelHeight + Gap));
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, stream => png.SaveTo(stream));
    }

    // Draws text centred horizontally with its baseline at y; returns the baseline.
    private static float DrawCentered(SKCanvas canvas, string text, int width, float y, float size, bool bold)
    {
        using var typeface = EmbeddedFonts.Typeface(bold);
        using var font = new SKFont(typeface, size);
        using var paint = new SKPaint { Color = new SKColor(30, 30, 30), IsAntialias = true };
        float textWidth = font.MeasureText(text);
        canvas.DrawText(text, Math.Max(Margin, (width - textWidth) / 2), y, SKTextAlign.Left, font, paint);
        return y;
    }
}
