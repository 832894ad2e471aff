using System.Text.Json;

namespace Sharpformer.Exercises.Tests;

/// <summary>
/// PyTorch's answers for the graders' fixed inputs, from pytorch-numbers.json beside the tests. Each entry names its
/// tensors, inputs and outputs alike; the parity suite (ExerciseNumbersTests) recomputes every output with libtorch and
/// fails if the file disagrees, so these are libtorch's numbers, not the library's.
/// </summary>
internal static class PyTorchNumbers
{
    private static readonly Lazy<Dictionary<string, Dictionary<string, NamedTensor>>> Entries = new(Load);

    /// <summary>The tensors of one entry, e.g. <c>week01.matmul</c>.</summary>
    public static IReadOnlyDictionary<string, NamedTensor> Entry(string name) =>
        Entries.Value.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"pytorch-numbers.json has no '{name}'");

    private static Dictionary<string, Dictionary<string, NamedTensor>> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "pytorch-numbers.json");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, NamedTensor>>>(File.ReadAllText(path), options)
            ?? throw new InvalidDataException($"{path} holds no entries");
    }
}

/// <summary>A tensor of pytorch-numbers.json: its shape and its row-major values.</summary>
internal sealed record NamedTensor(int[] Shape, float[] Data)
{
    /// <summary>The values as whole numbers (token ids).</summary>
    public int[] Ints() => [.. Data.Select(v => (int)v)];
}
