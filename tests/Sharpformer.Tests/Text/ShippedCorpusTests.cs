using System.IO.Compression;
using System.Text;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>
/// Every line of the corpora shipped under data/ (Brotli-compressed): GPT-2 ids as the reference's, and exact
/// round trips.
/// </summary>
public sealed class ShippedCorpusTests
{
    private static readonly Lazy<Dictionary<string, string[]>> Lines = new(ReadShippedLines);

    /// <summary>Every line of every shipped corpus, by file name.</summary>
    internal static IReadOnlyDictionary<string, string[]> ShippedLines => Lines.Value;

    private static Dictionary<string, string[]> ReadShippedLines()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sharpformer.slnx"))) directory = directory.Parent;
        string data = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("repository root not found"), "data");
        var files = Directory.GetFiles(data, "*.br", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 7, $"expected the Bible and six Austen novels under {data}");
        return files.ToDictionary(path => Path.GetFileName(path), path =>
        {
            using var reader = new StreamReader(new BrotliStream(File.OpenRead(path), CompressionMode.Decompress),
                new UTF8Encoding(false, true));
            var lines = new List<string>();
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) lines.Add(line);
            return lines.ToArray();
        });
    }

    [Fact]
    public void Gpt2IdsMatchTheReferenceOnEveryLine()
    {
        foreach (var (file, lines) in Lines.Value)
        {
            for (int i = 0; i < lines.Length; i++)
            {
                int[] ids = Gpt2CompatibilityTests.Gpt2.Encode(lines[i]);
                if (!ids.AsSpan().SequenceEqual([.. Gpt2CompatibilityTests.ReferenceIds(lines[i])]))
                    Assert.Fail($"{file}:{i + 1}: ids differ from Microsoft.ML.Tokenizers' for \"{lines[i]}\"");
                if (Gpt2CompatibilityTests.Gpt2.Decode(ids) != lines[i])
                    Assert.Fail($"{file}:{i + 1}: GPT-2 decoding does not give the line back");
            }
        }
    }

    [Fact]
    public void EveryLineRoundTripsThroughATrainedBpe()
    {
        var bpe = BpeTrainer.Train(Lines.Value.Values.SelectMany(lines => lines.SelectMany(line => line.Split('\t'))),
            new TokenizerTrainingOptions { VocabSize = 8000 });
        Assert.Equal(8000, bpe.VocabSize);
        foreach (var (file, lines) in Lines.Value)
        {
            for (int i = 0; i < lines.Length; i++)
            {
                if (bpe.Decode(bpe.Encode(lines[i])) != lines[i])
                    Assert.Fail($"{file}:{i + 1}: decode(encode(line)) differs from the line");
            }
        }
    }
}
