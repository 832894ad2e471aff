using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sharpformer.Training;

/// <summary>metrics.jsonl: one JSON object per logged step (step, epoch, loss, lr, grad_norm, tokens_per_s, and val_loss when evaluated).</summary>
public sealed class MetricsLog(string path)
{
    /// <summary>The file's name inside a model directory.</summary>
    public const string FileName = "metrics.jsonl";

    /// <summary>Appends one line and flushes it.</summary>
    public void Append(int step, int epoch, float loss, float lr, float gradNorm, double tokensPerSecond, float? validLoss, float? validAccuracy)
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
            if (validLoss is float v) WriteFloat(json, "val_loss", v);
            if (validAccuracy is float a) WriteFloat(json, "val_accuracy", a);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Drops lines logged after <paramref name="step"/> (a resumed run repeats those steps), and any torn last line.</summary>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(path)) return;
        var kept = new StringBuilder();
        foreach (var line in File.ReadLines(path))
        {
            if (!line.EndsWith('}')) break;
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.GetProperty("step").GetInt32() > step) break;
            kept.Append(line).Append('\n');
        }
        IO.AtomicFile.WriteAllText(path, kept.ToString());
    }

    // Non-finite values are not JSON numbers: write them as strings ("NaN", "Infinity").
    private static void WriteFloat(Utf8JsonWriter json, string name, float value)
    {
        if (float.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }
}
