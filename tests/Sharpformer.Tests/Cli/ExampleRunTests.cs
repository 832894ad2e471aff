using System.Diagnostics;

namespace Sharpformer.Tests.Cli;

/// <summary>Runs the quick curriculum examples (built with the solution) and checks that they finish cleanly.</summary>
public class ExampleRunTests
{
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
    public async Task ExampleRuns(string name, string expectedOutput)
    {
        string dll = Path.Combine(CliRunner.RepositoryRoot, "examples", name, "bin", CliRunner.Configuration, CliRunner.Framework, name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{name} did not finish");
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Contains(expectedOutput, await stdout);
    }
}
