using System.Text.Json.Nodes;
using Sharpformer.Data;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Hardening;

/// <summary>A small, valid translation model directory (config, weights, character tokenizer) to damage in tests.</summary>
internal static class HostileModelDirectory
{
    /// <summary>The config of the model written by <see cref="Write"/>: tiny, vocabulary 20 (the toy tasks' tokenizer).</summary>
    public static TransformerConfig Config { get; } = TransformerConfig.Tiny(TrainingData.ToyTokenizer().VocabSize) with
    {
        DModel = 16, DimFeedForward = 32, EncoderLayers = 1, DecoderLayers = 1, Dropout = 0f, MaxLength = 34,
    };

    /// <summary>Writes the directory at <paramref name="directory"/> and returns it.</summary>
    public static string Write(string directory)
    {
        var model = SequenceModel.Create(Config, new Rng(11));
        ModelDirectory.Save(model, directory);
        TrainingData.ToyTokenizer().Save(Path.Combine(directory, "tokenizer.json"));
        return directory;
    }

    /// <summary>Rewrites config.json with one field set to <paramref name="value"/> (raw JSON).</summary>
    public static void SetConfigField(string directory, string field, string value)
    {
        string path = Path.Combine(directory, ModelDirectory.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json[field] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
    }
}
