using System.Buffers.Binary;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Viz;

/// <summary>Tiny untrained models, their tokenizer, a metrics file, and a PNG checker.</summary>
internal static class VizFixtures
{
    /// <summary>A character tokenizer over a–p (ids 4…19 after the reserved four).</summary>
    public static CharTokenizer Letters() =>
        new([.. SpecialTokens.Names, .. Enumerable.Range(0, 16).Select(i => ((char)('a' + i)).ToString())], SpecialTokenSet.Reserved());

    /// <summary>An untrained encoder-decoder model (2 heads, 2 + 2 layers) over <see cref="Letters"/>.</summary>
    public static Transformer Translator() =>
        new(TransformerConfig.Tiny(20) with { DModel = 16, DimFeedForward = 32, MaxLength = 24 }, new Rng(3));

    /// <summary>An untrained decoder-only model over <see cref="Letters"/>.</summary>
    public static LanguageModel LanguageModel() =>
        new(TransformerConfig.TinyLanguageModel(20) with { DModel = 16, DimFeedForward = 32, DecoderLayers = 2, MaxLength = 24 },
            new Rng(4));

    /// <summary>Saves <paramref name="model"/> and the letters tokenizer as a model directory under <paramref name="root"/>.</summary>
    public static string SaveModel(SequenceModel model, string root)
    {
        string directory = Path.Combine(root, "model");
        ModelDirectory.Save(model, directory);
        Letters().Save(Path.Combine(directory, "tokenizer.json"));
        return directory;
    }

    /// <summary>A metrics.jsonl of 30 steps with validation every 10 and one non-finite value, as training writes them.</summary>
    public static string WriteMetrics(string root)
    {
        string path = Path.Combine(root, "metrics.jsonl");
        var lines = Enumerable.Range(1, 30).Select(i =>
        {
            string valid = i % 10 == 0 ? $",\"val_loss\":{3.0 / i:R},\"val_accuracy\":{i / 30.0:R}" : "";
            string norm = i == 7 ? "\"NaN\"" : (1.0 / i).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            return $"{{\"step\":{i * 10},\"epoch\":0,\"loss\":{4.0 / i:R},\"lr\":{1e-3 * Math.Min(1, i / 10.0):R}," +
                $"\"grad_norm\":{norm},\"tokens_per_s\":1000.0{valid}}}";
        });
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Asserts <paramref name="path"/> is a PNG (signature and IHDR chunk) and returns its width and height.</summary>
    public static (int Width, int Height) AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33, $"{path}: only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.True(width > 0 && height > 0, $"{path}: {width}×{height}");
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));
        return (width, height);
    }
}
