using System.Text.Json.Serialization;

namespace Sharpformer.Training;

/// <summary>
/// The JSON shape of a checkpoint's record (snake_case names, enums as strings), as trainer-state.safetensors
/// and trainer.json hold it.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(TrainerCheckpoint))]
internal sealed partial class TrainingJson : JsonSerializerContext;
