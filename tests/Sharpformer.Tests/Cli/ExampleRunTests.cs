using System.Diagnostics;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// Runs every curriculum example (built with the solution), the longer ones with short settings, and checks that
/// they finish cleanly.
/// </summary>
public class ExampleRunTests
{
    /// <summary>Examples that write a directory get "{out}", replaced by a temporary one.</summary>
    private const string Out = "{out}";

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
            await Run(name, expectedOutput, [.. args.Select(a => a == Out ? Path.Combine(output, "run") : a)]);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The built assembly of example <paramref name="name"/>.</summary>
    public static string Dll(string name) =>
        Path.Combine(CliRunner.RepositoryRoot, "examples", name, "bin", CliRunner.Configuration, CliRunner.Framework, name + ".dll");

    private static async Task Run(string name, string expectedOutput, string[] args)
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
        Assert.Contains(expectedOutput, await stdout);
    }
}
