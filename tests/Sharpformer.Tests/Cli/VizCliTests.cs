using Sharpformer.Tests.Viz;

namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end: `sharpformer viz` writes its PNGs and reports bad input in one line.</summary>
public sealed class VizCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-vizcli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void EveryPictureFromTheCommandLine()
    {
        string model = VizFixtures.SaveModel(VizFixtures.Translator(), _root);
        string metrics = VizFixtures.WriteMetrics(model);
        string adapted = Lora.LoraRunFixture.Write(model, Path.Combine(_root, "adapted")), int8 = Path.Combine(_root, "int8");
        Assert.Equal(0, CliRunner.Run(Timeout, "quantize", "--model", model, "--out", int8).ExitCode);

        var (code, stdout, stderr) = CliRunner.Run(Timeout, "viz", "attention", "--model", model, "--source", "abcd", "--target", "dcba",
            "--out", Path.Combine(_root, "attn"));
        Assert.True(code == 0, stderr);
        var paths = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, paths.Length);
        foreach (var path in paths) VizFixtures.AssertPng(path);

        foreach (string[] args in new[]
        {
            new[] { "positional", "--model", model },
            ["positional", "--dim", "16", "--length", "30"],
            ["rope", "--dim", "32", "--length", "40", "--base", "500"],
            ["memory", "--length", "1024", "--threads", "2"],
            ["curves", "--metrics", model],
            ["curves", "--metrics", metrics],
            ["embeddings", "--model", model, "--tokens", "10"],
            ["embeddings", "--model", int8, "--tokens", "10"],      // int8 rows, dequantized
            ["embeddings", "--model", adapted, "--tokens", "10"],   // the adapters merged
            ["positional", "--model", adapted],                     // the base's architecture
        })
        {
            string output = Path.Combine(_root, $"{args[0]}-{Guid.NewGuid():N}.png");
            (code, stdout, stderr) = CliRunner.Run(Timeout, ["viz", .. args, "--out", output]);
            Assert.True(code == 0, $"{string.Join(' ', args)}: {stderr}");
            Assert.Equal(output, stdout.Trim());
            VizFixtures.AssertPng(output);
        }
    }

    [Fact]
    public void BadInputGivesOneLineAndANonZeroExit()
    {
        string model = VizFixtures.SaveModel(VizFixtures.Translator(), _root);
        string png = Path.Combine(_root, "x.png");
        string[][] cases =
        [
            ["viz", "curves", "--metrics", Path.Combine(_root, "missing.jsonl"), "--out", png],
            ["viz", "curves", "--metrics", WriteFile("bad.jsonl", "{\"step\": 1, \"loss\": oops}\n"), "--out", png],
            ["viz", "embeddings", "--model", Path.Combine(_root, "no-model"), "--out", png],
            ["viz", "embeddings", "--model", model, "--tokens", "1", "--out", png],
            ["viz", "attention", "--model", model, "--out", png],
            ["viz", "attention", "--model", model, "--source", "", "--out", png],
            ["viz", "positional", "--dim", "16", "--out", Path.Combine(_root, "picture.txt")],
            ["viz", "positional", "--model", model, "--dim", "16", "--out", png],
            ["viz", "positional", "--dim", "zero", "--out", png],
            ["viz", "rope", "--dim", "7", "--out", png],
            ["viz", "memory", "--length", "64", "--out", png],
            ["viz", "rope", "--base", "1", "--out", png],
            ["viz", "sideways", "--out", png],
            ["viz", "course", "--out", png],
            ["viz", "course", "--out", Path.Combine(_root, "course"), "--only", "cat.png"],
            ["viz", "course", "--out", Path.Combine(_root, "course"), "--onyl", "lora-update.png"],
        ];
        foreach (var args in cases)
        {
            var (code, stdout, stderr) = CliRunner.Run(Timeout, args);
            string shown = string.Join(' ', args);
            Assert.True(code != 0, $"{shown}: exit 0");
            Assert.Equal("", stdout);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"{shown}: {stderr}");
            Assert.StartsWith("sharpformer: ", lines[0]);
        }
        Assert.False(File.Exists(png));
        Assert.False(Directory.Exists(Path.Combine(_root, "course")));
    }

    [Fact]
    public void CoursePicturesByName()
    {
        string folder = Path.Combine(_root, "images");
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "viz", "course", "--out", folder, "--only", "bfloat16-rounding.png",
            "--only", "norm-placement.png");
        Assert.True(code == 0, stderr);
        string[] expected = [Path.Combine(folder, "norm-placement.png"), Path.Combine(folder, "bfloat16-rounding.png")];
        Assert.Equal(expected, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        foreach (string path in expected) VizFixtures.AssertPng(path);
        Assert.Equal(2, Directory.GetFiles(folder).Length);
    }

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }
}
