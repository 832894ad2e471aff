using Sharpformer.IO;
using Sharpformer.NN;

namespace Sharpformer.Models;

/// <summary>
/// config.json: a <see cref="TransformerConfig"/> in snake_case JSON, enums by name. Reading is strict
/// (every field of its type, no unknown field, every size within <see cref="TransformerConfig"/>'s
/// documented limits); a field left out takes <see cref="TransformerConfig"/>'s default.
/// </summary>
public static class TransformerConfigFile
{
    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, TransformerConfig config) => JsonFiles.Write(path, config, ConfigJson.Default.TransformerConfig);

    /// <summary>Reads and validates the config file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidFileException">The file is missing, unreadable, not JSON, or describes no valid model.</exception>
    public static TransformerConfig Read(string path) => Parse(FileBytes.Read(path, MaxBytes), path);

    /// <summary>Parses and validates config.json content; <paramref name="path"/> names it in errors.</summary>
    public static TransformerConfig Parse(ReadOnlyMemory<byte> utf8, string path)
    {
        using var document = JsonFields.Parse(utf8, path);
        var config = FromJson(new JsonFields(document.RootElement, path));
        return config.Problem() is { } problem ? throw new InvalidFileException(path, problem) : config;
    }

    /// <summary>The largest config file read (a config is a few hundred bytes).</summary>
    private const int MaxBytes = 1 << 20;

    private static TransformerConfig FromJson(JsonFields json)
    {
        var defaults = new TransformerConfig();
        var config = new TransformerConfig
        {
            Architecture = json.Enum<Architecture>("architecture", defaults.Architecture),
            SourceVocab = json.Int("source_vocab", defaults.SourceVocab),
            TargetVocab = json.Int("target_vocab", defaults.TargetVocab),
            DModel = json.Int("d_model", defaults.DModel),
            Heads = json.Int("heads", defaults.Heads),
            DimFeedForward = json.Int("dim_feed_forward", defaults.DimFeedForward),
            EncoderLayers = json.Int("encoder_layers", defaults.EncoderLayers),
            DecoderLayers = json.Int("decoder_layers", defaults.DecoderLayers),
            Dropout = json.Float("dropout", defaults.Dropout),
            Activation = json.Enum<ActivationKind>("activation", defaults.Activation),
            Norm = json.Enum<NormPlacement>("norm", defaults.Norm),
            LayerNormEps = json.Float("layer_norm_eps", defaults.LayerNormEps),
            ShareEmbeddings = json.Bool("share_embeddings", defaults.ShareEmbeddings),
            TieOutput = json.Bool("tie_output", defaults.TieOutput),
            Positional = json.Enum<PositionalKind>("positional", defaults.Positional),
            RopeBase = json.Float("rope_base", defaults.RopeBase),
            Weights = json.Enum<WeightFormat>("weights", defaults.Weights),
            MaxLength = json.Int("max_length", defaults.MaxLength),
            PadId = json.Int("pad_id", defaults.PadId),
        };
        json.RejectOthers();
        return config;
    }
}
