using Sharpformer.Autograd;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Generation;

public class LanguageModelTests
{
    private static LanguageModel Model(NormPlacement norm = NormPlacement.Pre) =>
        new(TransformerConfig.TinyLanguageModel(25) with { Norm = norm, MaxLength = 40 }, new Rng(11));

    [Theory]
    [InlineData(NormPlacement.Pre)]
    [InlineData(NormPlacement.Post)]
    public void IncrementalStepsGiveTheLogitsOfTheFullForwardPass(NormPlacement norm)
    {
        var model = Model(norm);
        model.Eval();
        int[] tokens = [1, 7, 9, 4, 22, 13, 5, 5, 17];
        using var _ = GradMode.NoGrad();
        var full = model.Forward(Tensor.FromArray([.. tokens.Select(t => (float)t)], 1, tokens.Length)); // [1, T, V]
        var cache = model.NewCache();
        for (int t = 0; t < tokens.Length; t++)
        {
            var step = model.DecodeStep(Tensor.FromArray([tokens[t]]), cache).ToArray();
            var expected = full.Narrow(1, t, 1).ToArray();
            for (int v = 0; v < step.Length; v++)
                Assert.True(Math.Abs(step[v] - expected[v]) <= 1e-5f * Math.Max(1, Math.Abs(expected[v])),
                    $"position {t}, logit {v}: {step[v]} vs {expected[v]}");
        }
    }

    [Fact]
    public void LaterTokensDoNotChangeEarlierLogits()
    {
        var model = Model();
        model.Eval();
        var a = model.Forward(Tensor.FromArray([1, 5, 6, 7, 8], 1, 5));
        var b = model.Forward(Tensor.FromArray([1, 5, 6, 20, 21], 1, 5));
        Assert.Equal(a.Narrow(1, 0, 3).ToArray(), b.Narrow(1, 0, 3).ToArray());
        Assert.NotEqual(a.Narrow(1, 3, 1).ToArray(), b.Narrow(1, 3, 1).ToArray());
    }

    [Fact]
    public void GradientCheckOfEveryParameter()
    {
        var config = new TransformerConfig
        {
            Architecture = Architecture.DecoderOnly, SourceVocab = 6, TargetVocab = 6, DModel = 4, Heads = 2, DimFeedForward = 6,
            EncoderLayers = 0, DecoderLayers = 2, Dropout = 0f, Activation = ActivationKind.Gelu, TieOutput = true, MaxLength = 8,
        };
        var model = new LanguageModel(config, new Rng(3));
        var tokens = Tensor.FromArray([1, 4, 5, 2, 1, 3, 3, 0], 2, 4);
        var result = GradCheck.Run(_ => model.Forward(tokens), [.. model.Parameters()], eps: 3e-3f);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void GenerationIsSeededAndRespectsTheLimit()
    {
        var model = Model();
        var options = new SamplingOptions(Temperature: 0.9f, TopK: 8);
        var a = TextGenerator.Generate(model, [1, 5, 9], options, new Rng(4), maxTokens: 12);
        var b = TextGenerator.Generate(model, [1, 5, 9], options, new Rng(4), maxTokens: 12);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.True(a.Tokens.Length <= 12);
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, [1, 2], options, new Rng(4), maxTokens: 39));
    }

    [Fact]
    public void ParameterNamesAndConfigChecks()
    {
        var names = Model().NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal("tgt_embed.weight", names[0]);
        Assert.Contains("decoder.layers.3.self_attn.in_proj_weight", names);
        Assert.Contains("decoder.norm.weight", names);
        Assert.DoesNotContain("generator.weight", names); // tied to the embedding
        Assert.Throws<ArgumentException>(() => new LanguageModel(TransformerConfig.Tiny(10), new Rng(1)));
        Assert.Throws<ArgumentException>(() => new Transformer(TransformerConfig.TinyLanguageModel(10), new Rng(1)));
    }
}
