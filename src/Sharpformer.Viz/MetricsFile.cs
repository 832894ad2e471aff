using System.Globalization;
using System.Text.Json;

namespace Sharpformer.Viz;

/// <summary>One logged step of metrics.jsonl (non-finite values are NaN or ±∞).</summary>
/// <param name="Step">The optimizer step.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="LearningRate">The learning rate of that step.</param>
/// <param name="GradNorm">The global gradient norm (before clipping).</param>
/// <param name="ValidLoss">Validation loss, when the step was evaluated.</param>
/// <param name="ValidAccuracy">Validation token accuracy, when logged.</param>
public sealed record MetricsPoint(int Step, double Loss, double LearningRate, double GradNorm, double? ValidLoss, double? ValidAccuracy);

/// <summary>Reads the metrics.jsonl that training writes.</summary>
public static class MetricsFile
{
    /// <summary>
    /// The points of <paramref name="path"/>, one per non-blank line. A missing file throws
    /// <see cref="FileNotFoundException"/>; a line that is not a metrics object, or a file without one,
    /// throws <see cref="InvalidDataException"/> naming the file and line.
    /// </summary>
    public static IReadOnlyList<MetricsPoint> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such metrics file", path);
        var points = new List<MetricsPoint>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("not a JSON object");
                points.Add(new MetricsPoint(
                    (int)Required(root, "step"),
                    Optional(root, "loss") ?? double.NaN,
                    Optional(root, "lr") ?? double.NaN,
                    Optional(root, "grad_norm") ?? double.NaN,
                    Optional(root, "val_loss"),
                    Optional(root, "val_accuracy")));
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{number}: not a metrics line ({FirstLine(e.Message)})");
            }
        }
        if (points.Count == 0) throw new InvalidDataException($"{path}: no metrics in the file");
        return points;
    }

    private static double Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new InvalidDataException($"no \"{name}\"");

    // A number, or one of the strings that stand for non-finite values ("NaN", "Infinity", "-Infinity").
    private static double? Optional(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)) return parsed;
        throw new InvalidDataException($"\"{name}\" is not a number");
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
