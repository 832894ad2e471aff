using System.Text.Json.Serialization;
using Sharpformer.NN;

namespace Sharpformer.Models;

/// <summary>
/// The JSON shape config.json is written in (snake_case names, enums as strings); it is read field by
/// field (<see cref="TransformerConfigFile"/>).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(TransformerConfig))]
internal sealed partial class ConfigJson : JsonSerializerContext;
