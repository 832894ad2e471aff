using Sharpformer.Tensors;

namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end: `sharpformer quantize` writes an int8 model that info, translate, eval and generate use without a flag.</summary>
public sealed class QuantizeCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-quantize-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void AnInt8TranslatorDecodesAsTheFloatOneAtAQuarterOfTheFile()
    {
        string model = Path.Combine(_root, "reverse"), int8 = Path.Combine(_root, "reverse-int8");
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--task", "reverse", "--out", model, "--steps", "600", "--dropout", "0",
            "--seed", "1", "--eval-every", "0", "--save-every", "0");
        Assert.True(code == 0, stderr);
        var (quantizeCode, _, quantizeErr) = CliRunner.Run(Timeout, "quantize", "--model", model, "--out", int8);
        Assert.True(quantizeCode == 0, quantizeErr);
        Assert.Contains("matrices to int8", quantizeErr);
        Assert.Contains("\"weights\": \"int8\"", File.ReadAllText(Path.Combine(int8, "config.json")));
        // The library's call refuses what the command refuses, and writes nothing then.
        Assert.Contains("int8 already", Assert.Throws<ArgumentException>(() =>
            Sharpformer.Training.ModelCopies.Quantize(int8, Path.Combine(_root, "twice"))).Message);
        Assert.Contains("another directory than the model", Assert.Throws<ArgumentException>(() =>
            Sharpformer.Training.ModelCopies.Quantize(model, model)).Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "twice")));

        var (infoCode, info, infoErr) = CliRunner.Run(Timeout, "info", "--model", int8);
        Assert.True(infoCode == 0, infoErr);
        Assert.Contains("int8 weights", info);

        var rng = new Rng(77);
        var inputs = Enumerable.Range(0, 100)
            .Select(_ => new string([.. Enumerable.Range(0, 4 + rng.NextInt(9)).Select(_ => (char)('a' + rng.NextInt(16)))])).ToList();
        string stdin = string.Join('\n', inputs) + "\n";
        string[] Translate(string dir, params string[] strategy)
        {
            var (c, stdout, err) = CliRunner.RunWithInput(Timeout, stdin, ["translate", "--model", dir, .. strategy]);
            Assert.True(c == 0, err);
            return stdout.Split('\n')[..^1];
        }
        foreach (var strategy in new[] { new[] { "--greedy" }, new[] { "--beam", "4" } })
        {
            var fp32 = Translate(model, strategy);
            var quantized = Translate(int8, strategy);
            Assert.Equal(inputs.Count, quantized.Length);
            double same = fp32.Zip(quantized).Count(p => p.First == p.Second) / (double)inputs.Count;
            Assert.True(same >= 0.95, $"{strategy[0]}: the int8 model agrees with float32 on {same:P0} of the lines");
        }

        string tsv = Path.Combine(_root, "reverse.tsv");
        File.WriteAllLines(tsv, inputs.Take(40).Select(i => i + "\t" + new string([.. i.Reverse()])));
        double ExactMatch(string dir)
        {
            var (evalCode, evalJson, evalErr) = CliRunner.Run(Timeout, "eval", "--model", dir, "--data", tsv, "--json");
            Assert.True(evalCode == 0, evalErr);
            using var doc = System.Text.Json.JsonDocument.Parse(evalJson);
            Assert.Equal(40, doc.RootElement.GetProperty("pairs").GetInt32());
            return doc.RootElement.GetProperty("exact_match").GetDouble();
        }
        double floatMatch = ExactMatch(model), int8Match = ExactMatch(int8);
        Assert.True(int8Match >= floatMatch - 0.05, $"exact match {int8Match:P0} int8, {floatMatch:P0} float32");

        long before = new FileInfo(Path.Combine(model, "model.safetensors")).Length;
        long after = new FileInfo(Path.Combine(int8, "model.safetensors")).Length;
        Assert.True(after < 0.35 * before, $"{after} bytes against {before}");   // a tiny model: biases and norms weigh more

        // Already int8, the same directory (through a link too), a training run or adapters at --out, a missing model:
        // one line each, exit 1, and nothing written.
        string link = Path.Combine(_root, "link"), run = Path.Combine(_root, "run"), adapters = Path.Combine(_root, "adapters");
        Directory.CreateSymbolicLink(link, model);
        string parentLink = Path.Combine(_root, "parent-link");   // a link above the model
        Directory.CreateSymbolicLink(parentLink, _root);
        File.Copy(Path.Combine(model, "trainer-state.safetensors"), Path.Combine(Directory.CreateDirectory(run).FullName,
            "trainer-state.safetensors"));
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(adapters).FullName, "adapter_config.json"), "{}");
        foreach (var (args, expected) in new[]
        {
            (new[] { "quantize", "--model", int8, "--out", Path.Combine(_root, "again") }, "int8 already"),
            (["quantize", "--model", model, "--out", model + "/"], "another directory than the model"),
            (["quantize", "--model", model, "--out", link], "another directory than the model"),
            (["quantize", "--model", model, "--out", Path.Combine(parentLink, Path.GetFileName(model))],
                "another directory than the model"),
            (["quantize", "--model", model, "--out", Path.Combine(model, "best")], "is a folder of the training run"),
            (["quantize", "--model", model, "--out", run], "holds a training run"),
            (["quantize", "--model", model, "--out", adapters], "holds adapters"),
            (["quantize", "--model", Path.Combine(_root, "missing"), "--out", Path.Combine(_root, "x")], "missing"),
        })
        {
            var (badCode, _, badErr) = CliRunner.Run(Timeout, args);
            Assert.Equal(1, badCode);
            var lines = badErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("sharpformer: ", lines[0]);
            Assert.Contains(expected, lines[0]);
        }
        Assert.False(Directory.Exists(Path.Combine(_root, "again")));
        Assert.Equal(["trainer-state.safetensors"], Directory.GetFiles(run).Select(Path.GetFileName));
        Assert.Equal(["adapter_config.json"], Directory.GetFiles(adapters).Select(Path.GetFileName));
    }

    [Fact]
    public void AnInt8LanguageModelGenerates()
    {
        string text = Path.Combine(_root, "text.txt"), model = Path.Combine(_root, "lm"), int8 = Path.Combine(_root, "lm-int8");
        File.WriteAllLines(text, Enumerable.Repeat("the cat sat on the mat and looked at the birds in the trees.", 200));
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--train", text, "--out", model, "--vocab-size", "300", "--steps", "30",
            "--eval-every", "0", "--max-length", "32");
        Assert.True(code == 0, stderr);
        Assert.Equal(0, CliRunner.Run(Timeout, "quantize", "--model", model, "--out", int8).ExitCode);
        var (genCode, generated, genErr) = CliRunner.Run(Timeout, "generate", "--model", int8, "--prompt", "the cat", "--max-tokens", "8");
        Assert.True(genCode == 0, genErr);
        Assert.StartsWith("the cat", generated);
    }
}
