using System.Text.Json;
using Sharpformer.IO;
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
            LayerNormEps = 1e-6f, ShareEmbeddings = false, TieOutput = true, MaxLength = 77, PadId = 3, BosId = 300, EosId = 300,
            Positional = PositionalKind.Rope, RopeBase = 500f, Weights = WeightFormat.Int8,
        };
        var defaults = new TransformerConfig();
        foreach (var property in typeof(TransformerConfig).GetProperties())
            Assert.True(!Equals(property.GetValue(config), property.GetValue(defaults)), $"{property.Name} keeps its default in this test");

        string path = Path.Combine(_directory, "config.json");
        TransformerConfigFile.Write(path, config);
        Assert.Equal(config, TransformerConfigFile.Read(path));
    }

    [Fact]
    public void TheFileNamesTheModelAsHuggingFacesConfigsDoAndReadsBackTheSame()
    {
        var config = TransformerConfig.Small(8000) with { Activation = ActivationKind.Gelu, MaxLength = 130, TieOutput = true };
        string path = Path.Combine(_directory, "config.json");
        TransformerConfigFile.Write(path, config);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        Assert.Equal("sharpformer", root.GetProperty("model_type").GetString());
        Assert.True(root.GetProperty("is_encoder_decoder").GetBoolean());
        Assert.Equal(8000, root.GetProperty("vocab_size").GetInt32());
        Assert.Equal(config.DModel, root.GetProperty("hidden_size").GetInt32());
        Assert.Equal(config.DModel, root.GetProperty("d_model").GetInt32());
        Assert.Equal(config.Heads, root.GetProperty("encoder_attention_heads").GetInt32());
        Assert.Equal(config.DimFeedForward, root.GetProperty("decoder_ffn_dim").GetInt32());
        Assert.Equal(130, root.GetProperty("max_position_embeddings").GetInt32());
        Assert.Equal("gelu", root.GetProperty("activation_function").GetString());
        Assert.Equal(1, root.GetProperty("decoder_start_token_id").GetInt32());
        Assert.True(root.GetProperty("tie_word_embeddings").GetBoolean());
        Assert.Equal(config, TransformerConfigFile.Read(path));
    }

    [Fact]
    public void AFileWrittenBeforeTheHuggingFaceNamesReadsAsBefore()
    {
        string path = Path.Combine(_directory, "old.json");
        File.WriteAllText(path, """
            { "architecture": "encoder-decoder", "source_vocab": 300, "target_vocab": 300, "d_model": 64, "heads": 2,
              "dim_feed_forward": 256, "encoder_layers": 2, "decoder_layers": 2, "max_length": 66, "pad_id": 0 }
            """);
        var config = TransformerConfigFile.Read(path);
        Assert.Equal(300, config.TargetVocab);
        Assert.Equal(66, config.MaxLength);
    }

    [Fact]
    public void AHandEditOfTheModelsOwnFieldWinsAndTheCopiesFollowOnTheNextSave()
    {
        string path = Path.Combine(_directory, "config.json");
        TransformerConfigFile.Write(path, TransformerConfig.Small(8000));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"d_model\": 128", "\"d_model\": 256"));
        var config = TransformerConfigFile.Read(path);
        Assert.Equal(256, config.DModel);
        TransformerConfigFile.Write(path, config);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(256, json.RootElement.GetProperty("hidden_size").GetInt32());
    }

    [Fact]
    public void ACopyOfTheWrongTypeIsAnError()
    {
        string path = Path.Combine(_directory, "config.json");
        TransformerConfigFile.Write(path, TransformerConfig.Small(8000));
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"vocab_size\": 8000", "\"vocab_size\": \"many\""));
        var error = Assert.Throws<InvalidFileException>(() => TransformerConfigFile.Read(path));
        Assert.Contains("vocab_size", error.Message);
    }
}
