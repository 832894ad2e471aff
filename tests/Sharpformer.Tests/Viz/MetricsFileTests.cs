using Sharpformer.Viz;

namespace Sharpformer.Tests.Viz;

public sealed class MetricsFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-metrics-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ReadsEveryFieldAndNonFiniteStrings()
    {
        var points = MetricsFile.Read(VizFixtures.WriteMetrics(_root));
        Assert.Equal(30, points.Count);
        Assert.Equal(10, points[0].Step);
        Assert.Equal(4.0, points[0].Loss, 1e-12);
        Assert.Equal(1e-4, points[0].LearningRate, 1e-12);
        Assert.True(double.IsNaN(points[6].GradNorm));
        Assert.Null(points[0].ValidLoss);
        Assert.Equal(0.3, points[9].ValidLoss!.Value, 1e-12);
        Assert.Equal(1.0 / 3, points[9].ValidAccuracy!.Value, 1e-12);
    }

    [Fact]
    public void BadFilesAreReportedWithTheirLine()
    {
        string path = Path.Combine(_root, "bad.jsonl");
        File.WriteAllLines(path, ["{\"step\":1,\"loss\":2}", "", "{\"step\":2,\"loss\":"]);
        var e = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsFile.Read(path));
        Assert.StartsWith($"{path}:3:", e.Message);

        File.WriteAllLines(path, ["{\"loss\":2}"]);
        Assert.Contains("\"step\"", Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsFile.Read(path)).Message);

        File.WriteAllText(path, "\n");
        Assert.Contains("no metrics", Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsFile.Read(path)).Message);

        Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsFile.Read(Path.Combine(_root, "missing.jsonl")));
    }
}
