using Sharpformer.Exercises.Week10;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 10: the parameter count of encoder–decoder Transformers of several shapes.</summary>
[Trait("Week", "10")]
public sealed class Week10Tests
{
    public static TheoryData<string, TransformerConfig> Configs => new()
    {
        { "small (shared embeddings, post-norm)", TransformerConfig.Small() },
        { "big (d 256, 4 heads, 3 + 3 layers)", TransformerConfig.Big() },
        { "pre-norm", TransformerConfig.Small(200) with { Norm = NormPlacement.Pre } },
        { "separate source and target tables", TransformerConfig.Small(500) with { SourceVocab = 700, ShareEmbeddings = false } },
        { "tied output, 3 + 1 layers", TransformerConfig.Small(300) with { TieOutput = true, EncoderLayers = 3, DecoderLayers = 1 } },
        { "d 96, 3 heads, d_ff 200", TransformerConfig.Small(50) with { DModel = 96, Heads = 3, DimFeedForward = 200 } },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ParameterCountMatchesTheModel(string what, TransformerConfig config)
    {
        long expected = new Transformer(config, new Rng(1)).ParameterCount(), counted = ModelSize.ParameterCount(config);
        Assert.True(expected == counted, $"{what}: counted {counted:N0}, the model holds {expected:N0}");
    }

    [Fact]
    public void SmallByTheNumbersInDocs10() => Assert.Equal(1_183_208, ModelSize.ParameterCount(TransformerConfig.Small()));
}
