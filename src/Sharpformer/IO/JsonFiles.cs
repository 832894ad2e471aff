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

/// <summary>Reads and writes JSON files with errors that name the file and the problem.</summary>
internal static class JsonFiles
{
    public static void Write<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, type) + "\n");

    public static T Read<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), type) ?? throw new InvalidDataException($"{path}: the file holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON for {typeof(T).Name}: {e.Message}", e);
        }
    }
}
