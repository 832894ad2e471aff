using Sharpformer.Viz;

namespace Sharpformer.Tests.Viz;

public sealed class AttentionCaptureTests
{
    [Fact]
    public void TranslatorMapsHaveTheTokensOnTheirAxesAndRowsThatSumToOne()
    {
        var maps = AttentionCapture.Capture(VizFixtures.Translator(), VizFixtures.Letters(), "abcd", "dcb");
        Assert.Equal(6, maps.Count);
        string[] source = ["a", "b", "c", "d"], decoder = ["<bos>", "d", "c", "b"];
        foreach (var map in maps)
        {
            Assert.Equal(2, map.Weights.Length);
            Assert.Equal(2, map.Layers);
            Assert.Equal(map.Kind == AttentionKind.EncoderSelf ? source : decoder, map.QueryTokens);
            Assert.Equal(map.Kind == AttentionKind.DecoderSelf ? decoder : source, map.KeyTokens);
            foreach (var head in map.Weights)
            {
                Assert.Equal(map.QueryTokens.Length, head.GetLength(0));
                Assert.Equal(map.KeyTokens.Length, head.GetLength(1));
                for (int q = 0; q < head.GetLength(0); q++)
                {
                    float sum = 0;
                    for (int k = 0; k < head.GetLength(1); k++)
                    {
                        sum += head[q, k];
                        if (map.Kind == AttentionKind.DecoderSelf && k > q) Assert.Equal(0f, head[q, k]);   // causal
                    }
                    Assert.Equal(1f, sum, 1e-4f);
                }
            }
        }
        Assert.Equal("Decoder cross-attention, layer 2 of 2", maps[^1].Title);
        Assert.Equal("decoder-cross-layer2", maps[^1].FileStem);
    }

    [Fact]
    public void EmptySourceIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => AttentionCapture.Capture(VizFixtures.Translator(), VizFixtures.Letters(), "", null));
        Assert.Contains("no tokens", e.Message);
    }

    [Fact]
    public void PathsForAFolderOrAPngPrefix()
    {
        var map = new AttentionMap(AttentionKind.Cross, 0, 1, [new float[1, 1]], ["a"], ["b"]);
        Assert.Equal(Path.Combine("out", "attention-decoder-cross-layer1.png"), Pictures.AttentionPath("out", map));
        Assert.Equal(Path.Combine("out", "run-decoder-cross-layer1.png"), Pictures.AttentionPath(Path.Combine("out", "run.png"), map));
    }

    [Theory]
    [InlineData("a", "a")]
    [InlineData(" the", "␣the")]
    [InlineData("x\ny\t", "x⏎y⇥")]
    [InlineData("", "∅")]
    [InlineData("\u0001", "U+0001")]
    [InlineData("abcdefghijklmnop", "abcdefghijk…")]
    public void TokenLabelsMakeBlanksVisibleAndStayShort(string text, string label) => Assert.Equal(label, TokenLabels.Visible(text));
}
