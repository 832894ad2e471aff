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
