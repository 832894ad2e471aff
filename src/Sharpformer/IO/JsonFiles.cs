using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sharpformer.IO;

/// <summary>
/// Writes JSON files (atomically) from the source-generated shapes; reading is done field by field
/// (<see cref="JsonFields"/>).
/// </summary>
internal static class JsonFiles
{
    public static void Write<T>(string path, T value, JsonTypeInfo<T> type) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, type) + "\n");
}
