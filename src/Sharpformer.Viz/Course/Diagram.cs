using Sharpformer.IO;
using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>
/// A box-and-arrow drawing on one white canvas (block diagrams, computation graphs, search trees): boxes with centred
/// lines of text, arrows between points and free text, saved as a PNG. Coordinates are pixels from the top left.
/// </summary>
internal sealed class Diagram : IDisposable
{
    /// <summary>Fill colours for the kinds of box the course draws.</summary>
    public static readonly SKColor Input = new(0xE8, 0xF1, 0xFB), Operation = new(0xFD, 0xF0, 0xDC),
        Norm = new(0xE3, 0xF4, 0xE4), Attention = new(0xF6, 0xE3, 0xF2), Output = new(0xEE, 0xEE, 0xEE);

    private static readonly SKColor Ink = new(30, 30, 30), Muted = new(110, 110, 110);
    private readonly SKSurface _surface;
    private readonly SKTypeface _regular = EmbeddedFonts.Typeface(bold: false), _bold = EmbeddedFonts.Typeface(bold: true);

    /// <summary>A <paramref name="width"/> × <paramref name="height"/> canvas with a bold title at the top.</summary>
    public Diagram(int width, int height, string title, string? subtitle = null)
    {
        _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"could not make a {width}×{height} drawing surface");
        Canvas.Clear(SKColors.White);
        Text(width / 2f, 34, title, 22, bold: true);
        if (subtitle is not null) Text(width / 2f, 60, subtitle, 14, color: Muted);
    }

    private SKCanvas Canvas => _surface.Canvas;

    /// <summary>A rounded box centred on (x, y) holding <paramref name="lines"/>, the first in bold.</summary>
    public void Box(float x, float y, float width, float height, SKColor fill, params string[] lines)
    {
        var rect = new SKRect(x - width / 2, y - height / 2, x + width / 2, y + height / 2);
        using (var paint = new SKPaint { Color = fill, IsAntialias = true, Style = SKPaintStyle.Fill })
            Canvas.DrawRoundRect(rect, 8, 8, paint);
        using (var border = new SKPaint { Color = Ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.5f })
            Canvas.DrawRoundRect(rect, 8, 8, border);
        const float lineHeight = 19;
        float top = y - (lines.Length - 1) * lineHeight / 2 + 5;
        for (int i = 0; i < lines.Length; i++) Text(x, top + i * lineHeight, lines[i], 15, bold: i == 0);
    }

    /// <summary>A filled rectangle with its top left corner at (x, y), no border (bars, cells).</summary>
    public void Rect(float x, float y, float width, float height, SKColor fill)
    {
        using var paint = new SKPaint { Color = fill, IsAntialias = true, Style = SKPaintStyle.Fill };
        Canvas.DrawRect(x, y, width, height, paint);
    }

    /// <summary>A circle of radius <paramref name="radius"/> centred on (x, y) with a symbol in it.</summary>
    public void Circle(float x, float y, float radius, string symbol, SKColor fill)
    {
        using (var paint = new SKPaint { Color = fill, IsAntialias = true, Style = SKPaintStyle.Fill })
            Canvas.DrawCircle(x, y, radius, paint);
        using (var border = new SKPaint { Color = Ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.5f })
            Canvas.DrawCircle(x, y, radius, border);
        Text(x, y + 7, symbol, 20, bold: true);
    }

    /// <summary>A straight arrow from (x1, y1) with its head at (x2, y2).</summary>
    public void Arrow(float x1, float y1, float x2, float y2, SKColor? color = null, float width = 1.8f)
    {
        using var paint = new SKPaint { Color = color ?? Ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = width };
        Canvas.DrawLine(x1, y1, x2, y2, paint);
        float angle = MathF.Atan2(y2 - y1, x2 - x1), head = 10;
        using var path = new SKPath();
        path.MoveTo(x2, y2);
        path.LineTo(x2 - head * MathF.Cos(angle - 0.4f), y2 - head * MathF.Sin(angle - 0.4f));
        path.LineTo(x2 - head * MathF.Cos(angle + 0.4f), y2 - head * MathF.Sin(angle + 0.4f));
        path.Close();
        paint.Style = SKPaintStyle.Fill;
        Canvas.DrawPath(path, paint);
    }

    /// <summary>A line through <paramref name="points"/> ending in an arrow head (a path around a box: the residual connection).</summary>
    public void Path(SKColor? color, params SKPoint[] points)
    {
        using var paint = new SKPaint { Color = color ?? Ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.8f };
        for (int i = 0; i + 2 < points.Length; i++) Canvas.DrawLine(points[i], points[i + 1], paint);
        Arrow(points[^2].X, points[^2].Y, points[^1].X, points[^1].Y, color);
    }

    /// <summary>Text centred on <paramref name="x"/> with its baseline at <paramref name="y"/>.</summary>
    public void Text(float x, float y, string text, float size, bool bold = false, SKColor? color = null, bool left = false)
    {
        using var font = new SKFont(bold ? _bold : _regular, size);
        using var paint = new SKPaint { Color = color ?? Ink, IsAntialias = true };
        float start = left ? x : x - font.MeasureText(text) / 2;
        Canvas.DrawText(text, start, y, SKTextAlign.Left, font, paint);
    }

    /// <summary>Writes the drawing as a PNG (atomically, creating the folder).</summary>
    public void Save(string path)
    {
        using var image = _surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, stream => png.SaveTo(stream));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _surface.Dispose();
        _regular.Dispose();
        _bold.Dispose();
    }
}
