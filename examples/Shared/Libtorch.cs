using System.Globalization;
using System.Text.Json;
using Sharpformer.Tensors;

/// <summary>
/// PyTorch's numbers beside the examples' own: each example's computation rebuilt from the same seeded inputs and
/// weights and run by libtorch (through TorchSharp, in float64) in the parity tests, which write
/// examples/libtorch-numbers.json and check it on every run (ExampleNumbersTests). The examples themselves do not
/// load libtorch: they read its numbers from that file.
/// </summary>
internal static class Libtorch
{
    private const string File = "libtorch-numbers.json";
    private static readonly Lazy<Dictionary<string, Stored>> Numbers = new(Load);

    /// <summary>libtorch's values for <paramref name="name"/>, flattened in row-major order.</summary>
    public static double[] Values(string name) => Entry(name).Data;

    /// <summary>
    /// Prints the largest difference between <paramref name="ours"/> and libtorch's <paramref name="name"/> and throws
    /// past <paramref name="tolerance"/> (an example whose inputs drifted from the parity test's would land here).
    /// </summary>
    public static void Compare(string what, string name, Tensor ours, double tolerance = 1e-5)
    {
        var stored = Entry(name);
        if (!stored.Shape.SequenceEqual(ours.ShapeArray()))
            throw new InvalidOperationException(
                $"{what}: libtorch's is [{string.Join(", ", stored.Shape)}], ours {Shapes.Format(ours.Shape)}");
        float[] values = ours.ToArray();
        double gap = values.Select((v, i) => Math.Abs(v - stored.Data[i])).Max();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   libtorch: {what}: max |ours − libtorch| = {gap:E1} over {values.Length:N0} values"));
        if (!(gap <= tolerance))
            throw new InvalidOperationException($"{what} differs from libtorch's by {gap} (tolerance {tolerance})");
    }

    private static Stored Entry(string name) =>
        Numbers.Value.TryGetValue(name, out var stored) ? stored : throw new KeyNotFoundException($"{File} has no '{name}'");

    private static Dictionary<string, Stored> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, File);
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        return JsonSerializer.Deserialize<Dictionary<string, Stored>>(System.IO.File.ReadAllText(path), options)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    private sealed record Stored(int[] Shape, double[] Data);
}
