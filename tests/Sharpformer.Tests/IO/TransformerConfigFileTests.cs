using Sharpformer.Models;
using Sharpformer.NN;

namespace Sharpformer.Tests.IO;

/// <summary>config.json is written by the serializer and read field by field: the two must agree on every field.</summary>
public sealed class TransformerConfigFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void EveryFieldRoundTrips()
    {
        // Every field away from its default, so a field the reader forgets cannot come back equal.
        var config = new TransformerConfig
        {
            Architecture = Architecture.DecoderOnly, SourceVocab = 301, TargetVocab = 301, DModel = 48, Heads = 3, DimFeedForward = 96,
            EncoderLayers = 0, DecoderLayers = 5, Dropout = 0.25f, Activation = ActivationKind.Gelu, Norm = NormPlacement.Pre,
            LayerNormEps = 1e-6f, ShareEmbeddings = false, TieOutput = true, MaxLength = 77, PadId = 3,
            Positional = PositionalKind.Rope, RopeBase = 500f, Weights = WeightFormat.Int8,
        };
        var defaults = new TransformerConfig();
        foreach (var property in typeof(TransformerConfig).GetProperties())
            Assert.True(!Equals(property.GetValue(config), property.GetValue(defaults)), $"{property.Name} keeps its default in this test");

        string path = Path.Combine(_directory, "config.json");
        TransformerConfigFile.Write(path, config);
        Assert.Equal(config, TransformerConfigFile.Read(path));
    }
}
