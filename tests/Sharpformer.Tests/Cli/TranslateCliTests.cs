using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end: a model trained by `sharpformer train` reverses unseen sequences through `sharpformer translate`.</summary>
public sealed class TranslateCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-translate-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ALongContextRunIsBitIdenticalOnOneAndTwoThreads()
    {
        // A language model on 200-token windows: attention sees more than 128 keys, so the tiled op runs.
        string text = Path.Combine(_root, "text.txt");
        var rng = new Rng(9);
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "birds", "in", "trees", "quietly"];
        File.WriteAllLines(text, Enumerable.Range(0, 400)
            .Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.NextInt(words.Length)])) + "."));
        string Train(int threads, string positional)
        {
            string model = Path.Combine(_root, $"long-{threads}-{positional}");
            var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--train", text, "--out", model, "--max-length", "200",
                "--vocab-size", "300", "--batch-tokens", "1600", "--steps", "3", "--eval-every", "0", "--positional", positional,
                "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, stderr);
            return model;
        }
        foreach (var positional in new[] { "rope", "sinusoidal" })
        {
            string one = Train(1, positional), two = Train(2, positional);
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, "model.safetensors")),
                File.ReadAllBytes(Path.Combine(two, "model.safetensors")));
        }
    }

    [Fact]
    public void ARotaryModelTrainsSavesLoadsAndDecodesWithTheCache()
    {
        string model = Path.Combine(_root, "rope");
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--task", "reverse", "--positional", "rope", "--rope-base", "500",
            "--out", model, "--steps", "20", "--eval-every", "0", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"positional\": \"rope\"", File.ReadAllText(Path.Combine(model, "config.json")));
        var (infoCode, info, infoErr) = CliRunner.Run(Timeout, "info", "--model", model);
        Assert.True(infoCode == 0, infoErr);
        Assert.Contains("rotary positions (RoPE, base 500)", info);
        foreach (var strategy in new[] { "--greedy", "--beam" })
        {
            string[] args = strategy == "--beam"
                ? ["translate", "--model", model, "--beam", "3", "abcdef"]
                : ["translate", "--model", model, "abcdef"];
            var (translateCode, stdout, translateErr) = CliRunner.Run(Timeout, args);
            Assert.True(translateCode == 0, translateErr);
            Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        var (badCode, _, badErr) = CliRunner.Run(Timeout, "train", "--task", "reverse", "--positional", "spiral", "--out", model);
        Assert.Equal(2, badCode);
        Assert.Contains("spiral", badErr);
    }

    [Fact]
    public void ReverseTaskModelTranslatesUnseenSequencesExactlyByGreedyAndBeam()
    {
        string model = Path.Combine(_root, "reverse");
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--task", "reverse", "--out", model, "--steps", "1000", "--dropout", "0",
            "--seed", "1", "--eval-every", "0", "--save-every", "0");
        Assert.True(code == 0, stderr);

        // Fresh sequences of the task's alphabet and lengths, from a generator training never used.
        var rng = new Rng(2024);
        var inputs = Enumerable.Range(0, 200)
            .Select(_ => new string([.. Enumerable.Range(0, 4 + rng.NextInt(9)).Select(_ => (char)('a' + rng.NextInt(16)))])).ToList();
        string stdin = string.Join('\n', inputs) + "\n";
        foreach (var strategy in new[] { new[] { "--greedy" }, new[] { "--beam", "4" } })
        {
            var (translateCode, stdout, translateErr) = CliRunner.RunWithInput(Timeout, stdin,
                ["translate", "--model", model, .. strategy]);
            Assert.True(translateCode == 0, translateErr);
            var outputs = stdout.Split('\n')[..^1];
            Assert.Equal(inputs.Count, outputs.Length);
            double exact = inputs.Zip(outputs).Count(p => new string([.. p.First.Reverse()]) == p.Second) / (double)inputs.Count;
            Assert.True(exact >= 0.99, $"{strategy[0]}: exact match {exact:P1} < 99%");
        }

        string tsv = Path.Combine(_root, "reverse.tsv");
        File.WriteAllLines(tsv, inputs.Take(50).Select(i => i + "\t" + new string([.. i.Reverse()])));
        var (evalCode, evalJson, evalErr) = CliRunner.Run(Timeout, "eval", "--model", model, "--data", tsv, "--beam", "2", "--json");
        Assert.True(evalCode == 0, evalErr);
        using (var doc = System.Text.Json.JsonDocument.Parse(evalJson))
        {
            Assert.Equal(50, doc.RootElement.GetProperty("pairs").GetInt32());
            Assert.True(doc.RootElement.GetProperty("exact_match").GetDouble() >= 0.99, evalJson);
            Assert.True(doc.RootElement.GetProperty("chrf").GetDouble() >= 99, evalJson);
            Assert.True(doc.RootElement.GetProperty("perplexity").GetDouble() < 1.5, evalJson);
            // The library's evaluation is the command's.
            var scores = Sharpformer.Training.TranslationEvaluation.Run(Translator.Load(model),
                [.. inputs.Take(50).Select(i => (i, new string([.. i.Reverse()])))], DecodingOptions.Beam(2));
            Assert.Equal(doc.RootElement.GetProperty("bleu").GetDouble(), Math.Round(scores.Bleu.Score, 4));
            Assert.Equal(doc.RootElement.GetProperty("chrf").GetDouble(), Math.Round(scores.Chrf.Score, 4));
            Assert.Equal(doc.RootElement.GetProperty("loss").GetDouble(), Math.Round(scores.Loss, 6));
            Assert.Equal(doc.RootElement.GetProperty("token_accuracy").GetDouble(), Math.Round(scores.TokenAccuracy, 6));
        }

        var (infoCode, info, _) = CliRunner.Run(Timeout, "info", "--model", model);
        Assert.Equal(0, infoCode);
        Assert.Contains("encoder-decoder", info);
        Assert.Contains("parameters", info);

        var (argCode, argOut, _) = CliRunner.Run(Timeout, "translate", "--model", model, "abcd", "ponm");
        Assert.Equal(0, argCode);
        Assert.Equal(["dcba", "mnop"], argOut.Split('\n')[..^1]);
    }

    [Fact]
    public void BadUsesAreOneLineErrors()
    {
        string missing = Path.Combine(_root, "nothing-here");
        foreach (var args in new[]
        {
            new[] { "translate", "--model", missing, "abc" },
            ["translate", "--model", missing, "--beam", "2", "--sample"],
            ["generate", "--model", missing, "--prompt", "It is"],
            ["info", "--model", missing],
            ["eval", "--model", missing, "--data", missing],
            ["translate", "--model", missing, "--beam", "0"],
            ["translate", "--model", missing, "--top-p", "1.5"],
        })
        {
            var (code, _, stderr) = CliRunner.Run(Timeout, args);
            Assert.NotEqual(0, code);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("sharpformer: ", lines[0]);
        }
    }
}
