using System.Globalization;
using System.Text.RegularExpressions;
using Sharpformer.Models;
using Sharpformer.Tests.Viz;
using Sharpformer.Viz;

namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end runs of the demo and of a language model trained on the shipped Austen corpus.</summary>
public sealed class DemoAndGenerateCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-demo-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void DemoRunsAndWritesItsModelDirectory()
    {
        string output = Path.Combine(_root, "demo");
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "demo", "--out", output, "--steps", "60");
        Assert.True(code == 0, stderr);
        Assert.Contains("greedy", stdout);
        Assert.Contains("beam 4", stdout);
        Assert.Contains("exact match", stdout);
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        var (again, _, error) = CliRunner.Run(Timeout, "demo", "--out", output, "--steps", "60");
        Assert.NotEqual(0, again);
        Assert.Contains("already holds", error);
    }

    /// <summary>
    /// What the README shows of the demo at its default settings: every sequence reversed, the nine pictures, and the
    /// decoder's cross-attention on the anti-diagonal (each output letter looking at its mirror position in the source).
    /// </summary>
    [Fact]
    public void TheDefaultDemoReversesAndItsCrossAttentionIsTheAntiDiagonal()
    {
        string output = Path.Combine(_root, "default");
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "demo", "--out", output);
        Assert.True(code == 0, stderr);
        var greedy = Regex.Match(stdout, @"greedy +([0-9.]+) %");
        Assert.True(greedy.Success, stdout);
        Assert.InRange(double.Parse(greedy.Groups[1].Value, CultureInfo.InvariantCulture), 99.0, 100.0);
        foreach (string picture in new[] { "training-curves", "positional-encoding", "embeddings-pca", "attention-encoder-self-layer1",
                     "attention-encoder-self-layer2", "attention-decoder-self-layer1", "attention-decoder-self-layer2",
                     "attention-decoder-cross-layer1", "attention-decoder-cross-layer2" })
            VizFixtures.AssertPng(Path.Combine(output, "pictures", picture + ".png"));

        // The last layer, averaged over heads: query i (which predicts letter i of the reversal) weighs source position
        // n − 1 − i most for most letters, and a neighbour of it otherwise (the letter it reads, n − i, pulls too).
        var files = ModelDirectory.Open(output);
        foreach (string source in new[] { "agihhcdmnej", "okcpfiggd", "lcpif", "gnjhlahhocfg" })
        {
            var last = AttentionCapture.Capture(files.Model, files.Tokenizer, source).Last(map => map.Kind == AttentionKind.Cross);
            int n = source.Length;
            Assert.True(last.QueryTokens.Length > n, $"'{source}' was translated to {last.QueryTokens.Length - 1} tokens");
            int[] peaks = [.. Enumerable.Range(0, n).Select(i =>
            {
                var keys = Enumerable.Range(0, n).Select(j => last.Weights.Average(head => head[i, j])).ToList();
                return keys.IndexOf(keys.Max());
            })];
            string described = $"'{source}': peaks at {string.Join(", ", peaks)}";
            Assert.All(Enumerable.Range(0, n), i => Assert.True(Math.Abs(peaks[i] - (n - 1 - i)) <= 1, described));
            Assert.True(Enumerable.Range(0, n).Count(i => peaks[i] == n - 1 - i) >= 2 * n / 3, described);
        }
    }

    [Fact]
    public void AustenLanguageModelGeneratesFromAPrompt()
    {
        string model = Path.Combine(_root, "austen");
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--task", "austen", "--out", model, "--steps", "4", "--vocab-size", "300",
            "--max-length", "32", "--eval-every", "0", "--batch-tokens", "256");
        Assert.True(code == 0, stderr);
        var (genCode, text, genErr) = CliRunner.Run(Timeout, "generate", "--model", model, "--prompt", "It is a truth", "--sample",
            "--top-k", "20", "--seed", "3", "--max-tokens", "8");
        Assert.True(genCode == 0, genErr);
        Assert.StartsWith("It is a truth", text);
        var (again, text2, _) = CliRunner.Run(Timeout, "generate", "--model", model, "--prompt", "It is a truth", "--sample",
            "--top-k", "20", "--seed", "3", "--max-tokens", "8");
        Assert.Equal(0, again);
        Assert.Equal(text, text2);
        var (wrong, _, wrongErr) = CliRunner.Run(Timeout, "translate", "--model", model, "hello");
        Assert.NotEqual(0, wrong);
        Assert.Contains("use `sharpformer generate`", wrongErr);
    }
}
