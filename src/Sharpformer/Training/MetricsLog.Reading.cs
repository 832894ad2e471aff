using System.Globalization;
using System.Text.Json;
using Sharpformer.IO;

namespace Sharpformer.Training;

/// <summary>One logged step of metrics.jsonl (non-finite values are NaN or ±∞), as <see cref="MetricsLog.Read"/> gives it.</summary>
/// <param name="Step">The optimizer step.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="LearningRate">The learning rate of that step.</param>
/// <param name="GradNorm">The global gradient norm (before clipping).</param>
/// <param name="ValidLoss">Validation loss, when the step was evaluated.</param>
/// <param name="ValidAccuracy">Validation token accuracy, when logged.</param>
/// <param name="TrainSeconds">Seconds of updates so far (absent from files of older versions).</param>
/// <param name="ValidBleu">Validation BLEU, when the evaluation translated.</param>
/// <param name="ValidChrf">Validation chrF, when the evaluation translated.</param>
/// <param name="Epoch">The epoch of the training data the step was in.</param>
/// <param name="TokensPerSecond">Target tokens a second of updates since the last logged step.</param>
public sealed record MetricsPoint(int Step, double Loss, double LearningRate, double GradNorm, double? ValidLoss, double? ValidAccuracy,
    double? TrainSeconds = null, double? ValidBleu = null, double? ValidChrf = null, int? Epoch = null, double? TokensPerSecond = null);

// Reading the file back: for pictures, reports and an application's own checks of a run.
public sealed partial class MetricsLog
{
    /// <summary>
    /// The points of the metrics.jsonl at <paramref name="path"/>, one per non-blank line. A missing or unreadable file, a line
    /// that is not a metrics object, or a file without one throws <see cref="InvalidFileException"/>
    /// naming the file (and the line).
    /// </summary>
    public static IReadOnlyList<MetricsPoint> Read(string path)
    {
        // Lines end at '\n' alone, as MetricsLog writes and counts them.
        string[] lines = TextFile.ReadAll(path).Split('\n');
        var points = new List<MetricsPoint>();
        for (int number = 1; number <= lines.Length; number++)
        {
            string line = lines[number - 1].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 8 });
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                double step = Required(root, "step");
                if (step is not (>= 0 and <= int.MaxValue) || step != Math.Floor(step))
                    throw new FormatException("\"step\" is not a whole number");
                points.Add(new MetricsPoint(
                    (int)step,
                    Optional(root, "loss") ?? double.NaN,
                    Optional(root, "lr") ?? double.NaN,
                    Optional(root, "grad_norm") ?? double.NaN,
                    Optional(root, "val_loss"),
                    Optional(root, "val_accuracy"),
                    Optional(root, "train_s"),
                    Optional(root, "val_bleu"),
                    Optional(root, "val_chrf"),
                    Optional(root, "epoch") is { } epoch ? (int)epoch : null,
                    Optional(root, "tokens_per_s")));
            }
            catch (JsonException)
            {
                throw new InvalidFileException(path, number, "not a metrics line (not valid JSON)");
            }
            catch (InvalidOperationException)
            {
                throw new InvalidFileException(path, number, "not a metrics line (text that is not valid Unicode)");
            }
            catch (FormatException e)
            {
                throw new InvalidFileException(path, number, $"not a metrics line ({e.Message})");
            }
        }
        if (points.Count == 0) throw new InvalidFileException(path, "no metrics in the file");
        return points;
    }

    private static double Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new FormatException($"no \"{name}\"");

    // A number, or one of the strings that stand for non-finite values ("NaN", "Infinity", "-Infinity").
    private static double? Optional(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind == JsonValueKind.String
            && double.TryParse(Text(value), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)) return parsed;
        throw new FormatException($"\"{name}\" is not a number");
    }

    // GetString throws InvalidOperationException for an unpaired surrogate escape.
    private static string Text(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new FormatException("a string that is not valid Unicode");
        }
    }
}
