using ScottPlot;
using SkiaSharp;

namespace Sharpformer.Viz;

/// <summary>
/// The one typeface every picture uses, loaded from this assembly rather than the system: the same
/// pictures on every machine, including one with no fonts installed at all.
/// </summary>
internal static class EmbeddedFonts
{
    /// <summary>The family name ScottPlot is given; resolved only by <see cref="Resolver"/>.</summary>
    public const string Family = "Sharpformer Sans";

    private static readonly Lazy<byte[]> RegularBytes = new(() => Read("Regular"));
    private static readonly Lazy<byte[]> BoldBytes = new(() => Read("Bold"));
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Registers the embedded faces with ScottPlot once and makes them its default font.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new Resolver());
            Fonts.Default = Family;
            Fonts.Sans = Family;
            _registered = true;
        }
    }

    /// <summary>Uses the embedded face for every label of <paramref name="plot"/>.</summary>
    public static void Apply(Plot plot)
    {
        Register();
        plot.Font.Set(Family);
    }

    /// <summary>A new typeface of the embedded family (bold or regular), for text drawn straight onto a canvas.</summary>
    public static SKTypeface Typeface(bool bold) => SKTypeface.FromData(SKData.CreateCopy(bold ? BoldBytes.Value : RegularBytes.Value));

    private static byte[] Read(string face)
    {
        string name = $"Sharpformer.Viz.Fonts.{face}.ttf";
        using var stream = typeof(EmbeddedFonts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded font {name} is missing from Sharpformer.Viz");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Answers ScottPlot's requests for <see cref="Family"/>; other names fall through to the next resolver.</summary>
    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == Family ? Typeface((int)weight >= (int)FontWeight.SemiBold) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Family ? Typeface(bold) : null;
    }
}
