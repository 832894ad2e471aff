using Sharpformer.Viz;

namespace Sharpformer.Tests.Viz;

public sealed class PicturesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-viz-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PositionalEncodingFromSizesAndFromAModel()
    {
        string path = Pictures.WritePositionalEncoding(32, 50, Path.Combine(_root, "sub", "pe.png"));
        VizFixtures.AssertPng(path);
        VizFixtures.AssertPng(Pictures.WritePositionalEncoding(VizFixtures.Translator(), Path.Combine(_root, "pe-model.png"), length: 10));
        Assert.Throws<ArgumentException>(() => Pictures.WritePositionalEncoding(1, 10, Path.Combine(_root, "bad.png")));
    }

    [Fact]
    public void CurvesFromAMetricsFile()
    {
        string metrics = VizFixtures.WriteMetrics(_root);
        var (width, height) = VizFixtures.AssertPng(Pictures.WriteCurves(metrics, Path.Combine(_root, "curves.png")));
        Assert.True(height > width, "three panels stacked");

        // Without validation lines, and with a single line.
        string plain = Path.Combine(_root, "plain.jsonl");
        File.WriteAllLines(plain, File.ReadLines(metrics).Where(l => !l.Contains("val_loss")).Take(1));
        VizFixtures.AssertPng(Pictures.WriteCurves(plain, Path.Combine(_root, "plain.png")));
    }

    [Fact]
    public void AttentionOfATranslatorWithAGivenTarget()
    {
        string output = Path.Combine(_root, "attention");
        var paths = Pictures.WriteAttention(VizFixtures.Translator(), VizFixtures.Letters(), "abcdef", "fedcba", output);
        string[] expected = ["encoder-self-layer1", "encoder-self-layer2", "decoder-self-layer1", "decoder-self-layer2",
            "decoder-cross-layer1", "decoder-cross-layer2"];
        Assert.Equal(expected.Select(stem => Path.Combine(output, $"attention-{stem}.png")), paths);
        foreach (var path in paths) VizFixtures.AssertPng(path);
    }

    [Fact]
    public void AttentionWithoutTargetUsesTheGreedyTranslationAndPrefixNames()
    {
        var paths = Pictures.WriteAttention(VizFixtures.Translator(), VizFixtures.Letters(), "abc", null, Path.Combine(_root, "attn.png"));
        Assert.Equal(6, paths.Count);
        Assert.All(paths, p => Assert.StartsWith(Path.Combine(_root, "attn-"), p));
        foreach (var path in paths) VizFixtures.AssertPng(path);
    }

    [Fact]
    public void AttentionOfALanguageModel()
    {
        var paths = Pictures.WriteAttention(VizFixtures.LanguageModel(), VizFixtures.Letters(), "abcabc", null, _root);
        Assert.Equal(
            [Path.Combine(_root, "attention-decoder-self-layer1.png"), Path.Combine(_root, "attention-decoder-self-layer2.png")],
            paths);
        foreach (var path in paths) VizFixtures.AssertPng(path);
    }

    [Fact]
    public void EmbeddingsOfBothModelKinds()
    {
        VizFixtures.AssertPng(Pictures.WriteEmbeddings(VizFixtures.Translator(), VizFixtures.Letters(), Path.Combine(_root, "emb.png")));
        VizFixtures.AssertPng(Pictures.WriteEmbeddings(VizFixtures.LanguageModel(), VizFixtures.Letters(),
            Path.Combine(_root, "emb-lm.png"), tokens: 5));
        Assert.Throws<ArgumentException>(() => Pictures.WriteEmbeddings(VizFixtures.Translator(), VizFixtures.Letters(),
            Path.Combine(_root, "x.png"), tokens: 1));
    }

    [Fact]
    public void TheEmbeddedFontHasGlyphs()
    {
        // Pictures must not depend on system fonts (the NoDependencies Skia build may find none).
        using var regular = EmbeddedFonts.Typeface(bold: false);
        using var bold = EmbeddedFonts.Typeface(bold: true);
        Assert.True(regular.GlyphCount > 1000);
        Assert.True(bold.GlyphCount > 1000);
        Assert.True(regular.ContainsGlyph('␣') && regular.ContainsGlyph('…') && regular.ContainsGlyph('ñ'));
    }
}
