using System.Text.Json;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// A JSON file of libtorch's numbers kept in the repository for code that runs without libtorch (the exercise graders,
/// the examples): rewritten from what a test computed when its environment variable is 1, one entry a line, and read
/// back for the test to compare.
/// </summary>
public static class LibtorchNumbersFile
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// Writes <paramref name="computed"/> to <paramref name="path"/> if the environment variable <paramref name="variable"/>
    /// is 1; returns the file's entries.
    /// </summary>
    public static Dictionary<string, T> Sync<T>(string path, string variable, IReadOnlyDictionary<string, T> computed)
    {
        if (Environment.GetEnvironmentVariable(variable) == "1")
        {
            var lines = computed.Select(e => $"  {JsonSerializer.Serialize(e.Key)}: {JsonSerializer.Serialize(e.Value, Options)}");
            File.WriteAllText(path, "{\n" + string.Join(",\n", lines) + "\n}\n");
        }
        return JsonSerializer.Deserialize<Dictionary<string, T>>(File.ReadAllText(path), Options)
            ?? throw new InvalidDataException($"{path} holds no numbers");
    }
}
