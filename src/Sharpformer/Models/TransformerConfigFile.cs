using System.Text.Json;
using System.Text.Json.Nodes;
using Sharpformer.IO;
using Sharpformer.NN;

namespace Sharpformer.Models;

/// <summary>
/// config.json: a <see cref="TransformerConfig"/> in snake_case JSON, enums by name. Reading is strict
/// (every field of its type, no unknown field, every size within <see cref="TransformerConfig"/>'s
/// documented limits); a field left out takes <see cref="TransformerConfig"/>'s default. The file also carries the names
/// Hugging Face's configs use for the same facts (<c>model_type</c>, <c>vocab_size</c>, <c>hidden_size</c>, …), for tools
/// that look for them: Sharpformer's own fields are the truth (a hand edit of <c>d_model</c> is what counts), the copies
/// are only type-checked on reading and written afresh with every save, and a file without them reads as before.
/// </summary>
public static class TransformerConfigFile
{
    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, TransformerConfig config)
    {
        var json = JsonSerializer.SerializeToNode(config, ConfigJson.Default.TransformerConfig)!.AsObject();
        foreach (var (name, value) in HuggingFaceFields(config)) json[name] = value;
        AtomicFile.WriteAllText(path, json.ToJsonString(Indented) + "\n");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The fields Hugging Face's configs name the same facts by: the generic ones (<c>hidden_size</c>, <c>num_attention_heads</c>, …)
    /// and those of its encoder-decoder translation models (BART, Marian: <c>encoder_ffn_dim</c>, <c>decoder_start_token_id</c>, …).
    /// </summary>
    public static IReadOnlyList<(string Name, JsonValue Value)> HuggingFaceFields(TransformerConfig config)
    {
        bool encoderDecoder = config.Architecture == Architecture.EncoderDecoder;
        return
        [
            ("model_type", JsonValue.Create("sharpformer")), ("is_encoder_decoder", JsonValue.Create(encoderDecoder)),
            ("vocab_size", JsonValue.Create(config.TargetVocab)), ("hidden_size", JsonValue.Create(config.DModel)),
            ("num_attention_heads", JsonValue.Create(config.Heads)), ("intermediate_size", JsonValue.Create(config.DimFeedForward)),
            ("num_hidden_layers", JsonValue.Create(encoderDecoder ? config.EncoderLayers : config.DecoderLayers)),
            ("encoder_attention_heads", JsonValue.Create(config.Heads)), ("decoder_attention_heads", JsonValue.Create(config.Heads)),
            ("encoder_ffn_dim", JsonValue.Create(config.DimFeedForward)), ("decoder_ffn_dim", JsonValue.Create(config.DimFeedForward)),
            ("max_position_embeddings", JsonValue.Create(config.MaxLength)),
            ("activation_function", JsonValue.Create(config.Activation == ActivationKind.Gelu ? "gelu" : "relu")),
            ("pad_token_id", JsonValue.Create(config.PadId)), ("bos_token_id", JsonValue.Create(config.BosId)),
            ("eos_token_id", JsonValue.Create(config.EosId)), ("decoder_start_token_id", JsonValue.Create(config.BosId)),
            ("tie_word_embeddings", JsonValue.Create(config.TieOutput)), ("scale_embedding", JsonValue.Create(true)),
        ];
    }

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
            BosId = json.Int("bos_id", defaults.BosId),
            EosId = json.Int("eos_id", defaults.EosId),
        };
        foreach (var (name, copy) in HuggingFaceFields(config))   // other tools' copies: of the right type, else not read
        {
            if (!json.Has(name)) continue;
            _ = copy.GetValueKind() switch
            {
                JsonValueKind.String => json.String(name).Length,
                JsonValueKind.True or JsonValueKind.False => json.Bool(name) ? 1 : 0,
                _ => json.Int(name),
            };
        }
        json.RejectOthers();
        return config;
    }
}
