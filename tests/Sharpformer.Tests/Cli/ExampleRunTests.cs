using System.Diagnostics;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// Runs every curriculum example (built with the solution), the longer ones with short settings, checks that they
/// finish cleanly, and that they still print what their docs chapter's "Expected output" shows.
/// </summary>
public class ExampleRunTests
{
    /// <summary>Examples that write a directory get "{out}", replaced by a temporary one.</summary>
    private const string Out = "{out}";

    /// <summary>The chapter whose "Expected output" shows each example's run (with the arguments of this test).</summary>
    public static readonly IReadOnlyDictionary<string, string> Chapters = new Dictionary<string, string>
    {
        ["01-LinearLayer"] = "01-tensors.md", ["02-TwoLayerBackprop"] = "03-autograd.md",
        ["03-EmbeddingPositional"] = "04-embeddings-positions.md", ["05-MultiHeadAttention"] = "05-attention.md",
        ["06-FeedForwardBlock"] = "06-feedforward-layernorm.md", ["07-Encoder"] = "07-encoder.md", ["08-Decoder"] = "08-decoder.md",
        ["09-TrainingLoop"] = "09-training.md", ["10-FullTransformer"] = "10-transformer.md", ["11-DatasetLoader"] = "11-data.md",
        ["12-DecodingStrategies"] = "12-generation.md", ["13-LongContext"] = "14-long-context.md",
        ["14-Quantization"] = "15-quantization.md", ["15-Lora"] = "16-lora.md", ["16-MixedPrecision"] = "17-mixed-precision.md",
        ["17-DataParallel"] = "18-distributed.md", ["19-Deployment"] = "19-deployment.md", ["20-Serving"] = "20-serving.md",
    };

    [Theory]
    [InlineData("01-LinearLayer", "by hand")]
    [InlineData("02-TwoLayerBackprop", "max |manual − autograd|")]
    [InlineData("03-EmbeddingPositional", "depends on distance only")]
    [InlineData("04-SingleHeadAttention", "causal mask")]
    [InlineData("05-MultiHeadAttention", "8 head(s)")]
    [InlineData("06-FeedForwardBlock", "pre-norm")]
    [InlineData("07-Encoder", "masked out")]
    [InlineData("08-Decoder", "with causal mask")]
    [InlineData("10-FullTransformer", "9,634,624")]
    [InlineData("03b-TokenizerPipeline", "at positions 7 and 22")]
    [InlineData("09-TrainingLoop", "model and metrics.jsonl written to", "40", Out)]
    [InlineData("11-DatasetLoader", "next 3 batches identical: True")]
    [InlineData("12-DecodingStrategies", "first held-out inputs:", "--steps", "40", "--pairs", "20", "--out", Out)]
    [InlineData("13-LongContext", "depends on m − n only", "512")]
    [InlineData("14-Quantization", "int8 again: True", "2")]
    [InlineData("15-Lora", "merged model decodes as base + adapters: True", "150", "60")]
    [InlineData("16-MixedPrecision", "bf16    ", "60")]
    [InlineData("17-DataParallel", "training loss of the copy task, 1 process, 30 steps", "30")]
    [InlineData("18-TensorParallel", "training loss of the copy task, split over 2 ranks, 12 steps", "12")]
    [InlineData("19-Deployment", "ONNX Runtime agrees with Translator on 12/12 lines", "150", Out)]
    [InlineData("20-Serving", "server answers agree with Translator on 16/16 lines", "60", Out)]
    [InlineData("21-TrainingForQuality", "scores of the last, best, averaged", "0.2")]
    public async Task ExampleRuns(string name, string expectedOutput, params string[] args)
    {
        string output = Directory.CreateTempSubdirectory("sharpformer-example-").FullName;
        try
        {
            string folder = Path.Combine(output, "run");
            string stdout = await Run(name, expectedOutput, [.. args.Select(a => a == Out ? folder : a)]);
            if (Chapters.TryGetValue(name, out string? chapter))
            {
                var (lines, shownFolder) = ExpectedOutput.Of(chapter, name, args);
                string shown = shownFolder is null ? stdout : stdout.Replace(folder, shownFolder, StringComparison.Ordinal);
                ExpectedOutput.Check(chapter, lines, shown);
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The built assembly of example <paramref name="name"/>.</summary>
    public static string Dll(string name) =>
        Path.Combine(CliRunner.RepositoryRoot, "examples", name, "bin", CliRunner.Configuration, CliRunner.Framework, name + ".dll");

    private static async Task<string> Run(string name, string expectedOutput, string[] args)
    {
        string dll = Dll(name);
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{name} did not finish");
        Assert.True(process.ExitCode == 0, await stderr);
        string output = await stdout;
        Assert.Contains(expectedOutput, output);
        return output;
    }

    [Fact]
    public void EveryChapterEndsWithItsExamplesOutputOrAnother()
    {
        // Chapters 02 and 13 have no example of their own (their programs are `sharpformer bench gemm` and `bench train`,
        // whose output is all timings); chapter 21 shows a training run's output, which a time budget makes vary.
        string[] withoutExample = ["02-gemm.md", "13-performance.md", "21-training-for-quality.md"];
        var chapters = Directory.GetFiles(Path.Combine(CliRunner.RepositoryRoot, "docs"), "??-*.md").Select(Path.GetFileName)
            .OfType<string>().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(chapters.Except(withoutExample), Chapters.Values.Order(StringComparer.Ordinal));
        Assert.Contains("\n## Expected output\n", File.ReadAllText(Path.Combine(CliRunner.RepositoryRoot, "docs", withoutExample[2])));
    }
}
