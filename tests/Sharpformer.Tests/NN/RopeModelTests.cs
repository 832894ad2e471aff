using Sharpformer.Autograd;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

/// <summary>
/// Models with rotary positions: cached decoding equals the full forward at every position (the rotation
/// continues at the cache's length), positions matter without any added encoding, and the setting survives
/// config.json and a model directory.
/// </summary>
public sealed class RopeModelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-rope-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static TransformerConfig Rope(TransformerConfig c) =>
        c with { Positional = PositionalKind.Rope, RopeBase = 500f, Dropout = 0f };

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])),
                $"{what}, element {i}: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void CachedDecodingOfATranslationModelEqualsTheFullForward(NormPlacement norm)
    {
        var model = new Transformer(Rope(TransformerConfig.Tiny(30) with { Norm = norm, MaxLength = 20 }), new Rng(3));
        model.Eval();
        CachedDecoding.AssertMatchesFullForward(model, Tensor.FromArray([5, 9, 12, 7, 3, 0, 8, 8, 21, 4, 6, 2], 2, 6),
            Tensor.FromArray([1, 14, 15, 16, 17, 1, 22, 23, 24, 25], 2, 5), 1e-5f);
    }

    [Fact]
    public void CachedDecodingOfALanguageModelEqualsTheFullForward()
    {
        var model = new LanguageModel(Rope(TransformerConfig.TinyLanguageModel(25) with { MaxLength = 40 }), new Rng(11));
        model.Eval();
        int[] tokens = [1, 7, 9, 4, 22, 13, 5, 5, 17];
        using var _ = GradMode.NoGrad();
        var full = model.Forward(Tensor.FromArray([.. tokens.Select(t => (float)t)], 1, tokens.Length));
        var cache = model.NewCache();
        for (int t = 0; t < tokens.Length; t++)
            AssertClose(full.Narrow(1, t, 1).ToArray(), model.DecodeStep(Tensor.FromArray([tokens[t]]), cache).ToArray(), $"position {t}");
    }

    [Fact]
    public void PositionsMatterWithoutAnAddedEncoding()
    {
        // Self-attention without positions is permutation-equivariant: swapping two source tokens would only
        // swap the memory rows. With rotary queries and keys the other rows change too.
        var model = new Transformer(Rope(TransformerConfig.Tiny(30)), new Rng(4));
        model.Eval();
        using var _ = GradMode.NoGrad();
        var a = model.Encode(Tensor.FromArray([5, 9, 12, 7], 1, 4)).ToArray();
        var b = model.Encode(Tensor.FromArray([9, 5, 12, 7], 1, 4)).ToArray();
        Assert.True(Enumerable.Range(2 * 64, 2 * 64).Any(i => Math.Abs(a[i] - b[i]) > 1e-4f), "rows 2 and 3 did not change");
    }

    [Fact]
    public void TheSettingSurvivesConfigJsonAndAModelDirectory()
    {
        var config = Rope(TransformerConfig.Tiny(30) with { MaxLength = 16 });
        var model = new Transformer(config, new Rng(5));
        string directory = Path.Combine(_root, "model");
        ModelDirectory.Save(model, directory);
        Assert.Contains("\"positional\": \"rope\"", File.ReadAllText(Path.Combine(directory, ModelDirectory.ConfigFile)));

        var loaded = (Transformer)ModelDirectory.Load(directory);
        loaded.Eval();
        model.Eval();

        Assert.Equal(config, loaded.Config);
        var src = Tensor.FromArray([5, 9, 12, 7], 1, 4);
        var tgt = Tensor.FromArray([1, 14, 15], 1, 3);
        using var _ = GradMode.NoGrad();
        Assert.Equal(model.Forward(src, tgt).ToArray(), loaded.Forward(src, tgt).ToArray());
    }

    [Fact]
    public void AnOddHeadSizeIsRefused()
    {
        var config = TransformerConfig.Tiny(30) with { DModel = 30, Heads = 2, Positional = PositionalKind.Rope };
        Assert.Contains("even head size", config.Problem());
        Assert.Contains("rope_base", (TransformerConfig.Tiny(30) with { RopeBase = 1f }).Problem());
    }
}
