using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

/// <summary>
/// <see cref="ParameterLayout"/> — the names and shapes loading checks a weights file against — equals the built
/// models'.
/// </summary>
public sealed class ParameterLayoutTests
{
    public static TheoryData<string> Configs =>
        ["shared", "separate", "tied", "shared-tied", "pre-gelu", "no-encoder", "language-model", "language-model-untied"];

    private static TransformerConfig Config(string name)
    {
        var c = TransformerConfig.Tiny(24) with { DModel = 8, DimFeedForward = 12, EncoderLayers = 2, DecoderLayers = 3 };
        return name switch
        {
            "separate" => c with { ShareEmbeddings = false, TargetVocab = 30 },
            "tied" => c with { ShareEmbeddings = false, TargetVocab = 30, TieOutput = true },
            "shared-tied" => c with { TieOutput = true },
            "pre-gelu" => c with { Norm = NormPlacement.Pre, Activation = ActivationKind.Gelu },
            "no-encoder" => c with { EncoderLayers = 0 },
            "language-model" => TransformerConfig.TinyLanguageModel(24) with { DModel = 8, DimFeedForward = 12 },
            "language-model-untied" => TransformerConfig.TinyLanguageModel(24) with { DModel = 8, DimFeedForward = 12, TieOutput = false },
            _ => c,
        };
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void LayoutMatchesTheBuiltModel(string name)
    {
        var config = Config(name);
        var model = SequenceModel.Create(config, new Rng(1));
        // Each tensor once, in registration order, with every name it has in the state dict.
        var built = model.StateDict().GroupBy(p => p.Value, ReferenceEqualityComparer.Instance)
            .Select(g => (Names: string.Join(" ", g.Select(p => p.Key)), Shape: string.Join("×", ((Tensor)g.Key!).ShapeArray()))).ToList();
        var layout = ParameterLayout.Of(config).Select(p => (Names: string.Join(" ", p.Names), Shape: string.Join("×", p.Shape))).ToList();
        Assert.Equal(built, layout);
        Assert.Equal(model.ParameterCount(), ParameterLayout.ParameterCount(config));
    }
}
