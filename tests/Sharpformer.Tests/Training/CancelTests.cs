using Sharpformer.Distributed;
using Sharpformer.NN;
using Sharpformer.Training;

namespace Sharpformer.Tests.Training;

/// <summary>
/// A run stopped by its cancellation token: the last update is checkpointed, <see cref="OperationCanceledException"/>
/// says so, and a resume continues as if nothing had stopped; in a job, rank 0's token stops every rank after the same
/// update, whether the ranks share the batch, the model or both.
/// </summary>
public sealed class CancelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-cancel-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private TrainingRunOptions Options(string name, bool resume = false) => new()
    {
        Directory = Path.Combine(_root, name), Task = "copy", Dropout = 0.1f, Resume = resume,
        Training = new TrainingOptions { Steps = 12, LogEvery = 1, EvalEvery = 0, SaveEvery = 0, Seed = 3 },
    };

    private double[] Losses(string name) => [.. File.ReadLines(Path.Combine(_root, name, MetricsLog.FileName))
        .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("loss").GetDouble())];

    // Trains name's run, cancelled from the progress report of step 5 when cancelOnThisRank; the step it stopped at.
    private int CancelledAtStep5(string name, bool cancelOnThisRank, DataParallel? data = null, TensorParallel? tensor = null)
    {
        var run = TrainingRun.Start(Options(name), parallel: data, tensorParallel: tensor);
        using var cancel = new CancellationTokenSource();
        run.Trainer.Progress = report => { if (report.Step == 5 && cancelOnThisRank) cancel.Cancel(); };
        var stopped = Assert.Throws<OperationCanceledException>(() => run.Run(cancel.Token));
        Assert.Contains("cancelled after step 5", stopped.Message);
        return run.Trainer.Step;
    }

    [Fact]
    public void ACancelledRunCheckpointsItsLastUpdateAndResumesExactly()
    {
        TrainingRun.Start(Options("whole")).Run();
        Assert.Equal(5, CancelledAtStep5("stopped", cancelOnThisRank: true));
        Assert.Equal(5, TrainerCheckpoint.TryRead(Path.Combine(_root, "stopped"))!.Step);   // not step 0: SaveEvery is 0
        TrainingRun.Start(Options("stopped", resume: true)).Run();
        Assert.Equal(Losses("whole"), Losses("stopped"));   // dropout on: the generators resumed too
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RankZerosTokenStopsEveryRankAfterTheSameUpdate(int tensorParallel)
    {
        void Job(string name, bool resume) => ThreadGroup.Run(4, world =>
        {
            var (data, tensor) = ParallelLayout.Of(world, tensorParallel);
            TrainingRun.Start(Options(name, resume), parallel: data, tensorParallel: tensor).Run();
        });
        Job("whole", resume: false);
        var steps = ThreadGroup.Run(4, world =>
        {
            var (data, tensor) = ParallelLayout.Of(world, tensorParallel);
            return CancelledAtStep5("stopped", cancelOnThisRank: world.Rank == 0, data, tensor);   // the others' tokens never fire
        });
        Assert.Equal([5, 5, 5, 5], steps);
        Assert.Equal(5, TrainerCheckpoint.TryRead(Path.Combine(_root, "stopped"))!.Step);
        Job("stopped", resume: true);
        Assert.Equal(12, Losses("stopped").Length);
        Assert.Equal(Losses("whole"), Losses("stopped"));   // each rank's dropout generator resumed too
    }
}
