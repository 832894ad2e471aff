using System.Text.Json;
using System.Text.Json.Serialization;
using Sharpformer.NN;

namespace Sharpformer.IO;

/// <summary>JSON shapes of the files in a model directory (snake_case names, enums as strings).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    WriteIndented = true, RespectRequiredConstructorParameters = true, AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(TransformerConfig))]
[JsonSerializable(typeof(Training.TrainerCheckpoint))]
[JsonSerializable(typeof(Training.TrainingOptions))]
internal sealed partial class SharpformerJson : JsonSerializerContext;

/// <summary>Writes JSON files (atomically) from the source-generated shapes; reading is done field by field (<see cref="JsonFields"/>).</summary>
internal static class JsonFiles
{
    public static void Write<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, type) + "\n");
}
