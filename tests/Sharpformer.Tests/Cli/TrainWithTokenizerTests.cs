using System.Text.Json.Nodes;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// `sharpformer train --tokenizer FILE`: a run trains with a given tokenizer, keeping its ids, whichever ids its special
/// tokens have (the model's config.json records them), and a tokenizer without &lt;pad&gt; (GPT-2's) gets one after its
/// last id.
/// </summary>
public sealed class TrainWithTokenizerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-train-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Reversed(string text) => new([.. text.Reverse()]);

    private static List<string> RandomWords(Rng rng, int count) => [.. Enumerable.Range(0, count)
        .Select(_ => new string([.. Enumerable.Range(0, 4 + rng.NextInt(9)).Select(_ => (char)('a' + rng.NextInt(16)))]))];

    [Fact]
    public void SpecialTokensAfterTheLettersTrainAModelThatReverses()
    {
        // A character tokenizer whose letters are ids 0–15 and whose special tokens come after them, at 16–19.
        string tokenizer = Path.Combine(_root, "letters.json"), data = Path.Combine(_root, "reverse.tsv");
        var specials = new SpecialTokenSet(SpecialTokens.Names.Select((name, i) => new SpecialToken(name, 16 + i)));
        new CharTokenizer([.. "abcdefghijklmnop".Select(c => c.ToString()), .. SpecialTokens.Names], specials).Save(tokenizer);
        File.WriteAllLines(data, RandomWords(new Rng(7), 4000).Select(word => word + "\t" + Reversed(word)));
        string model = Path.Combine(_root, "model");

        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--train", data, "--tokenizer", tokenizer, "--out", model,
            "--steps", "600", "--dropout", "0", "--max-length", "16", "--batch-tokens", "512", "--seed", "3", "--eval-every", "0");
        Assert.True(code == 0, stderr);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal([20, 16, 17, 18], new[] { "target_vocab", "pad_id", "bos_id", "eos_id" }.Select(field => (int)config[field]!));
        Assert.Equal(17, (int)config["decoder_start_token_id"]!);
        Assert.Equal([0, 1, 15], ITokenizer.Load(Path.Combine(model, "tokenizer.json")).Encode("abp"));

        var inputs = RandomWords(new Rng(2024), 100);
        foreach (var strategy in new[] { new[] { "--greedy" }, new[] { "--beam", "4" } })
        {
            var (translateCode, stdout, translateErr) = CliRunner.RunWithInput(Timeout, string.Join('\n', inputs) + "\n",
                ["translate", "--model", model, .. strategy]);
            Assert.True(translateCode == 0, translateErr);
            double exact = inputs.Zip(stdout.Split('\n')).Count(p => Reversed(p.First) == p.Second) / (double)inputs.Count;
            Assert.True(exact >= 0.9, $"{strategy[0]}: exact match {exact:P0} < 90%");
        }
    }

    [Fact]
    public void Gpt2sTokenizerInHuggingFacesSchemaKeepsItsIdsAndGetsAPad()
    {
        string hf = Path.Combine(_root, "gpt2"), data = Path.Combine(_root, "pairs.tsv"), model = Path.Combine(_root, "model");
        HuggingFaceTokenizerFile.Write(Text.Gpt2CompatibilityTests.Gpt2, hf);
        File.WriteAllLines(data, Enumerable.Range(0, 64).Select(i => $"Hello world {i}\tHola mundo {i}"));

        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--train", data, "--tokenizer", Path.Combine(hf, "tokenizer.json"),
            "--out", model, "--steps", "2", "--max-length", "16", "--batch-tokens", "256");
        Assert.True(code == 0, stderr);
        Assert.Contains("has no <pad>: added as special tokens with ids 50257, after its 50,257 tokens", stderr);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!;
        Assert.Equal([50258, 50257, 50256, 50256],
            new[] { "target_vocab", "pad_id", "bos_id", "eos_id" }.Select(field => (int)config[field]!));
        string tokenizer = Path.Combine(model, "tokenizer.json");
        Assert.Equal("15496 995\n", CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", tokenizer, "Hello world").Stdout);
        var (translateCode, stdout, translateErr) = CliRunner.Run(Timeout, "translate", "--model", model, "--max-tokens", "4", "Hello");
        Assert.True(translateCode == 0, translateErr);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void WhatDoesNotGoWithATokenizerIsRefused()
    {
        string tokenizer = Path.Combine(_root, "t.json"), data = Path.Combine(_root, "d.tsv"), model = Path.Combine(_root, "m");
        DataTokenizer().Save(tokenizer);
        File.WriteAllLines(data, ["a b\tc d"]);
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--task", "reverse"], "the generated task 'reverse' has its own character tokenizer"),
            (["--train", data, "--vocab-size", "300"], "--tokenizer gives the vocabulary: --vocab-size does not apply"),
            (["--train", data, "--init-from", _root], "a fine-tuning run keeps its base model's tokenizer"),
        })
        {
            var (code, stdout, stderr) =
                CliRunner.Run(Timeout, ["train", .. args, "--tokenizer", tokenizer, "--out", model, "--steps", "1"]);
            Assert.NotEqual(0, code);
            Assert.Equal("", stdout);
            Assert.Contains(expected, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        Assert.False(Directory.Exists(model));
    }

    private static ITokenizer DataTokenizer() =>
        TokenizerTrainer.Train("word", ["a b c d"], new TokenizerTrainingOptions { VocabSize = 20, MinFrequency = 1 });
}
