using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sharpformer.Cli.Commands;
using Sharpformer.Text;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>Encoding of one input file: throughput on one thread, compression, round trip.</summary>
internal sealed record TokenizerInputResult(string Input, long Texts, long Bytes, long Tokens, double BytesPerToken,
    double ColdMegabytesPerSecond, double WarmMegabytesPerSecond, long RoundTripFailures);

/// <summary>The result of <c>sharpformer bench tokenizer</c>.</summary>
internal sealed record TokenizerReport(string Benchmark, int VocabSize, long TrainingBytes, double TrainingSeconds,
    List<TokenizerInputResult> Inputs)
{
    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.TokenizerReport);

    public void WriteTable(TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"byte-level BPE, vocabulary {VocabSize}: trained on {TrainingBytes / 1e6:F1} MB in {TrainingSeconds:F2} s"));
        output.WriteLine($"{"input",-28} {"MB",7} {"tokens",10} {"bytes/token",11} {"MB/s cold",9} {"MB/s warm",9} " +
                         $"{"round-trip failures",19}");
        foreach (var r in Inputs)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(r.Input),-28} {r.Bytes / 1e6,7:F2} {r.Tokens,10} {r.BytesPerToken,11:F3} {
                    r.ColdMegabytesPerSecond,9:F1} {r.WarmMegabytesPerSecond,9:F1} {r.RoundTripFailures,19}"));
        }
    }
}

/// <summary>
/// Trains byte-level BPE on the inputs (all together), then encodes each input on one thread: once with
/// an empty piece cache ("cold", what a fresh tokenizer sees) and once more ("warm"), and checks that
/// every text decodes back to itself.
/// </summary>
internal static class TokenizerBenchmark
{
    public static TokenizerReport Run(IReadOnlyList<string> inputs, int vocabSize, TextWriter progress)
    {
        var texts = inputs.Select(path => TextInputs.Read([path]).ToList()).ToList();
        long trainingBytes = texts.Sum(list => list.Sum(text => (long)Encoding.UTF8.GetByteCount(text)));
        var options = new TokenizerTrainingOptions { VocabSize = vocabSize };
        var clock = Stopwatch.StartNew();
        var tokenizer = BpeTrainer.Train(texts.SelectMany(list => list), options, progress.WriteLine);
        double trainingSeconds = clock.Elapsed.TotalSeconds;

        var results = new List<TokenizerInputResult>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var fresh = (BpeTokenizer)Load(tokenizer);
            long bytes = texts[i].Sum(text => (long)Encoding.UTF8.GetByteCount(text));
            double cold = EncodeSeconds(fresh, texts[i], out long tokens);
            double warm = EncodeSeconds(fresh, texts[i], out _);
            long failures = texts[i].Count(text => fresh.Decode(fresh.Encode(text)) != text);
            results.Add(new TokenizerInputResult(inputs[i], texts[i].Count, bytes, tokens, (double)bytes / tokens, bytes / 1e6 / cold,
                bytes / 1e6 / warm, failures));
        }
        return new TokenizerReport("tokenizer", tokenizer.VocabSize, trainingBytes, trainingSeconds, results);
    }

    // A copy with an empty cache, through tokenizer.json (as a user of a trained tokenizer gets it).
    private static ITokenizer Load(ITokenizer tokenizer)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpformer-bench-{Guid.NewGuid():N}.json");
        try
        {
            tokenizer.Save(path);
            return ITokenizer.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double EncodeSeconds(ITokenizer tokenizer, List<string> texts, out long tokens)
    {
        tokens = 0;
        var clock = Stopwatch.StartNew();
        foreach (string text in texts) tokens += tokenizer.Encode(text).Length;
        return clock.Elapsed.TotalSeconds;
    }
}
