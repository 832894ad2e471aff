using System.Text.Json;
using System.Text.Json.Serialization;
using Sharpformer.NN;

namespace Sharpformer.IO;

/// <summary>The JSON shape config.json is written in (snake_case names, enums as strings); it is read field by field (<see cref="TransformerConfigFile"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(TransformerConfig))]
internal sealed partial class SharpformerJson : JsonSerializerContext;

/// <summary>Writes JSON files (atomically) from the source-generated shapes; reading is done field by field (<see cref="JsonFields"/>).</summary>
internal static class JsonFiles
{
    public static void Write<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, type) + "\n");
}
