using System.Globalization;
using System.Text.Json;

namespace Sharpformer.Training;

/// <summary>
/// metrics.jsonl: one JSON object per logged step (step, epoch, loss, lr, grad_norm, tokens_per_s and train_s, the
/// seconds of updates so far; val_loss and val_accuracy when evaluated, and val_bleu and val_chrf when the evaluation
/// translated). tokens_per_s and train_s count the updates alone: evaluations and checkpoints are not in them.
/// </summary>
public sealed partial class MetricsLog(string path)
{
    /// <summary>The file's name inside a model directory.</summary>
    public const string FileName = "metrics.jsonl";

    /// <summary>Appends one line and flushes it.</summary>
    public void Append(int step, int epoch, float loss, float lr, float gradNorm, double tokensPerSecond, double trainSeconds,
        ValidationScores? valid)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteNumber("epoch", epoch);
            WriteFloat(json, "loss", loss);
            WriteFloat(json, "lr", lr);
            WriteFloat(json, "grad_norm", gradNorm);
            json.WriteNumber("tokens_per_s", Math.Round(tokensPerSecond, 1));
            json.WriteNumber("train_s", Math.Round(trainSeconds, 3));
            if (valid is not null)
            {
                WriteFloat(json, "val_loss", valid.Loss);
                WriteFloat(json, "val_accuracy", valid.Accuracy);
                if (valid.Bleu is double bleu) json.WriteNumber("val_bleu", Math.Round(bleu, 4));
                if (valid.Chrf is double chrf) json.WriteNumber("val_chrf", Math.Round(chrf, 4));
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Drops the lines logged after <paramref name="step"/> (a resumed run logs those steps again) and a
    /// torn last line (one without its line break, cut short by a kill). Every other line must be a JSON
    /// object with a whole-number "step": a damaged one is an <see cref="IO.InvalidFileException"/>
    /// naming the line, and the file is left as it was.
    /// </summary>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(path)) return;
        byte[] bytes = IO.FileBytes.Read(path);
        int keep = 0, lineNumber = 0;
        for (int start = 0; start < bytes.Length; lineNumber++)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) break;   // the torn last line
            if (StepOf(bytes.AsMemory(start, end - start), lineNumber + 1) > step) break;
            keep = start = end + 1;
        }
        if (keep < bytes.Length) IO.AtomicFile.Write(path, stream => stream.Write(bytes, 0, keep));
    }

    /// <summary>Removes every logged line (a run that starts over).</summary>
    public void Clear()
    {
        if (File.Exists(path)) IO.AtomicFile.WriteAllText(path, "");
    }

    private int StepOf(ReadOnlyMemory<byte> line, int lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("step", out var value)
                && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int step) && step >= 0)
                return step;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)   // the latter: a key with an unpaired surrogate escape
        {
        }
        throw new IO.InvalidFileException(path, lineNumber,
            "not a metrics line (a JSON object with a whole-number \"step\"); fix or delete the line to resume");
    }

    // Non-finite values are not JSON numbers: write them as strings ("NaN", "Infinity").
    private static void WriteFloat(Utf8JsonWriter json, string name, float value)
    {
        if (float.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }
}
