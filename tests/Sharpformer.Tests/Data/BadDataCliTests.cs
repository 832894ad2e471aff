using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Data;

/// <summary>End-to-end: `sharpformer train` on a TSV file with a bad line.</summary>
public sealed class BadDataCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-baddata-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WriteTrainingFile()
    {
        string path = Path.Combine(_root, "bad.tsv");
        var lines = Enumerable.Range(0, 40).Select(i => $"word {i} here\tpalabra {i} aquí").ToList();
        lines.Insert(6, "this line has no tab");          // line 7
        lines.Insert(20, "one\ttwo\tthree");              // line 21
        File.WriteAllLines(path, lines);
        return path;
    }

    private string[] TrainArgs(string train, string output, params string[] extra) =>
        ["train", "--train", train, "--out", output, "--steps", "3", "--vocab-size", "260", "--batch-tokens", "64", "--max-length", "16",
         "--threads", "1", "--eval-every", "0", "--save-every", "0", "--log-every", "1", .. extra];

    [Fact]
    public void ABadLineIsAOneLineErrorNamingFileAndLine()
    {
        string train = WriteTrainingFile(), output = Path.Combine(_root, "model");
        var (code, stdout, stderr) = CliRunner.Run(Timeout, TrainArgs(train, output));
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sharpformer: ", lines[0]);
        Assert.Contains($"{train}:7:", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void AMissingFileIsAOneLineErrorNamingIt()
    {
        string missing = Path.Combine(_root, "missing.tsv");
        var (code, _, stderr) = CliRunner.Run(Timeout, TrainArgs(missing, Path.Combine(_root, "model")));
        Assert.NotEqual(0, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(missing, stderr);
    }

    [Fact]
    public void SkipBadLinesTrainsAndReportsTheCount()
    {
        string train = WriteTrainingFile(), output = Path.Combine(_root, "model");
        var (code, stdout, stderr) = CliRunner.Run(Timeout, TrainArgs(train, output, "--skip-bad-lines"));
        Assert.True(code == 0, stderr);
        Assert.Contains("2 bad lines skipped", stderr);
        Assert.Contains("40 training pairs", stderr);
        Assert.StartsWith("done: step 3", stdout);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }
}
