using Sharpformer.Training;
using Sharpformer.Viz;

namespace Sharpformer.Tests.Viz;

public sealed class MetricsLogReadTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-metrics-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ReadsEveryFieldAndNonFiniteStrings()
    {
        var points = MetricsLog.Read(VizFixtures.WriteMetrics(_root));
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
    public void ReadGivesBackWhatAppendWrote()
    {
        string path = Path.Combine(_root, MetricsLog.FileName);
        var log = new MetricsLog(path);
        log.Append(7, 2, 3.25f, 1e-3f, float.PositiveInfinity, 1234.56, 8.5, null);
        log.Append(8, 3, float.NaN, 5e-4f, 0.5f, 99.0, 9.75, new ValidationScores(2.5f, 0.625f, 17.5, 40.25));

        var points = MetricsLog.Read(path);
        Assert.Equal(new MetricsPoint(7, 3.25, 1e-3, double.PositiveInfinity, null, null, 8.5, null, null, 2, 1234.6), points[0]);
        Assert.Equal(new MetricsPoint(8, double.NaN, 5e-4, 0.5, 2.5, 0.625, 9.75, 17.5, 40.25, 3, 99.0), points[1]);
    }

    [Fact]
    public void TranslationScoresAndTrainingTimeAreReadAndDrawn()
    {
        string path = Path.Combine(_root, "run", "metrics.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, Enumerable.Range(1, 8).Select(i => $"{{\"step\":{i * 10},\"loss\":{5.0 / i},\"lr\":0.001," +
            $"\"grad_norm\":1,\"train_s\":{i * 1.5}"
            + (i % 2 == 0 ? $",\"val_loss\":{4.0 / i},\"val_bleu\":{i * 2},\"val_chrf\":{i * 5}}}" : "}")));

        var points = MetricsLog.Read(path);
        Assert.Equal(3.0, points[1].TrainSeconds);
        Assert.Equal((4.0, 10.0), (points[1].ValidBleu, points[1].ValidChrf));
        Assert.Null(points[0].ValidBleu);

        // The curves gain a fourth panel of BLEU and chrF; the comparison draws BLEU against minutes, and refuses runs without it.
        string withScores = Path.Combine(_root, "with.png"), without = Path.Combine(_root, "without.png");
        CurvePictures.Write(points, withScores);
        CurvePictures.Write([.. points.Select(p => p with { ValidBleu = null, ValidChrf = null })], without);
        Assert.True(VizFixtures.AssertPng(withScores).Height > VizFixtures.AssertPng(without).Height);
        VizFixtures.AssertPng(Pictures.WriteRunComparison([path], Path.Combine(_root, "compare.png")));
        Assert.Contains("train with --eval-bleu", Assert.Throws<ArgumentException>(() =>
            Pictures.WriteRunComparison([VizFixtures.WriteMetrics(_root)], Path.Combine(_root, "none.png"))).Message);
    }

    [Fact]
    public void BadFilesAreReportedWithTheirLine()
    {
        string path = Path.Combine(_root, "bad.jsonl");
        File.WriteAllLines(path, ["{\"step\":1,\"loss\":2}", "", "{\"step\":2,\"loss\":"]);
        var e = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsLog.Read(path));
        Assert.StartsWith($"{path}:3:", e.Message);

        File.WriteAllLines(path, ["{\"loss\":2}"]);
        Assert.Contains("\"step\"", Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsLog.Read(path)).Message);

        File.WriteAllText(path, "\n");
        Assert.Contains("no metrics", Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsLog.Read(path)).Message);

        Assert.Throws<Sharpformer.IO.InvalidFileException>(() => MetricsLog.Read(Path.Combine(_root, "missing.jsonl")));
    }
}
