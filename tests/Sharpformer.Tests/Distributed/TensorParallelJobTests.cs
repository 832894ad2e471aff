using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sharpformer.IO;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Training;
using Sharpformer.Training;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 sharpformer train --tensor-parallel 2`: the steps of one process, a whole model any process loads, and exact
/// resume after a rank is killed. Real processes, the real mpirun.
/// </summary>
public sealed class TensorParallelJobTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-tp-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Train(string directory, int steps, params string[] extra) =>
        ["train", "--task", "copy", "--out", directory, "--batch-tokens", "512", "--steps", steps.ToString(CultureInfo.InvariantCulture),
         "--log-every", "1", "--eval-every", "10", "--threads", "1", "--seed", "9", .. extra];

    [MpiFact]
    public void TwoRanksSplittingTheModelTakeTheStepsOfOneProcess()
    {
        string single = Path.Combine(_root, "single"), split = Path.Combine(_root, "split");
        var one = CliRunner.Run(Timeout, Train(single, 40, "--dropout", "0"));
        var two = MpiRunner.Run(2, Timeout, Train(split, 40, "--dropout", "0", "--tensor-parallel", "2"));
        Assert.True(one.ExitCode == 0 && two.ExitCode == 0, one.Stderr + two.Stderr);
        Assert.Contains("split over 2 ranks (tensor parallel) × 1 thread(s)", two.Stderr);
        var (a, b) = (Metrics(single), Metrics(split));
        Assert.Equal(40, b.Count);
        double loss = a.Zip(b, (x, y) => Math.Abs(x.Loss - y.Loss) / x.Loss).Max();
        double norm = a.Zip(b, (x, y) => Math.Abs(x.Norm - y.Norm) / x.Norm).Max();
        double valid = a.Zip(b, (x, y) => x.Valid is double v ? Math.Abs(v - y.Valid!.Value) / v : 0).Max();
        var (weights, largest) = Difference(single, split);
        output.WriteLine($"split over 2 ranks against 1 process, 40 steps: loss relative error at most {loss:E2}, gradient norm " +
                         $"{norm:E2}, validation loss {valid:E2}; final weights ‖ΔW‖/‖W‖ {weights:E2} (largest |Δw| {largest:E2})");
        Assert.All(a.Concat(b), m => Assert.True(double.IsFinite(m.Loss) && double.IsFinite(m.Norm), $"logged {m.Loss}, {m.Norm}"));
        Assert.True(loss <= 1e-4, $"a loss differs by {loss:E2}");
        Assert.True(norm <= 1e-3, $"a gradient norm differs by {norm:E2}");
        Assert.True(valid <= 1e-4, $"a validation loss differs by {valid:E2}");
        Assert.True(weights <= 1e-3, $"the weights differ by {weights:E2}");

        // The run's directory holds the whole model, which one process loads and uses as any other.
        var info = CliRunner.Run(Timeout, "info", "--model", split);
        Assert.True(info.ExitCode == 0, info.Stderr);
        var translated = CliRunner.Run(Timeout, "translate", "--model", split, "3 1 4 1 5");
        Assert.True(translated.ExitCode == 0, translated.Stderr);
    }

    [MpiFact]
    public void ASplitJobWhoseRankIsKilledResumesExactly()
    {
        // Dropout on: the shared generator (and the masks each rank salts with its rank) must come back from the checkpoint.
        string whole = Path.Combine(_root, "whole"), killed = Path.Combine(_root, "killed");
        string[] Args(string directory, params string[] extra) =>
            Train(directory, 30, ["--save-every", "3", "--tensor-parallel", "2", .. extra]);
        var uninterrupted = MpiRunner.Run(2, Timeout, Args(whole));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        using (var job = MpiRunner.Start(2, Args(killed)))
        {
            _ = job.StandardOutput.ReadToEndAsync();
            _ = job.StandardError.ReadToEndAsync();
            job.StandardInput.Close();
            DataParallelTests.WaitFor(() => TrainerCheckpoint.TryRead(killed) is { Step: >= 9 } || job.HasExited, "a checkpoint at step 9");
            Assert.False(job.HasExited, "the job ended before it could be killed");
            var killedAt = Stopwatch.StartNew();
            Process.GetProcessById(DataParallelTests.Ranks(job.Id).Last()).Kill();   // SIGKILL to one rank
            Assert.True(job.WaitForExit(TimeSpan.FromSeconds(15)), "the job went on after a rank was killed");
            output.WriteLine($"job ended {killedAt.Elapsed.TotalSeconds:F1} s after a rank was killed, exit {job.ExitCode}");
            Assert.NotEqual(0, job.ExitCode);
        }
        var left = TrainerCheckpoint.TryRead(killed);
        Assert.NotNull(left);
        Assert.True(left.Step < 30);
        var resumed = MpiRunner.Run(2, Timeout, Args(killed, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss),
                     File.ReadAllLines(Path.Combine(killed, "metrics.jsonl")).Select(TrainingTests.Loss));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(killed, "model.safetensors")));
        Hardening.CheckpointAssert.Same(whole, killed);
    }

    [MpiFact]
    public void FourRanksAsTwoSplitModelsTakeTheStepsOfOneProcess()
    {
        // -np 4 --tensor-parallel 2: ranks 0, 1 split one model and ranks 2, 3 another; the two share each batch.
        string single = Path.Combine(_root, "single"), both = Path.Combine(_root, "both");
        var one = CliRunner.Run(Timeout, Train(single, 20, "--dropout", "0"));
        var four = MpiRunner.Run(4, Timeout, Train(both, 20, "--dropout", "0", "--tensor-parallel", "2"));
        Assert.True(one.ExitCode == 0 && four.ExitCode == 0, one.Stderr + four.Stderr);
        Assert.Contains("2 ranks × split over 2 ranks (tensor parallel) × 1 thread(s)", four.Stderr);
        var (a, b) = (Metrics(single), Metrics(both));
        Assert.Equal(20, b.Count);
        double loss = a.Zip(b, (x, y) => Math.Abs(x.Loss - y.Loss) / x.Loss).Max();
        output.WriteLine($"2 data-parallel groups of 2 tensor-parallel ranks against 1 process, 20 steps: loss within {loss:E2}");
        Assert.True(loss <= 1e-4, $"a loss differs by {loss:E2}");
    }

    [MpiFact]
    public void ASplitRunResumesInOneProcessAndTheOtherWayRound()
    {
        // The checkpoint is whole and holds one dropout generator, whether one process or a split model wrote it.
        string directory = Path.Combine(_root, "across");
        var split = MpiRunner.Run(2, Timeout, Train(directory, 10, "--tensor-parallel", "2"));
        Assert.True(split.ExitCode == 0, split.Stderr);
        var alone = CliRunner.Run(Timeout, Train(directory, 20, "--resume"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var again = MpiRunner.Run(2, Timeout, Train(directory, 30, "--tensor-parallel", "2", "--resume"));
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(30, Metrics(directory).Count);   // one line per step: each resume dropped none and repeated none
        Assert.Equal(30, TrainerCheckpoint.TryRead(directory)!.Step);
    }

    [MpiFact]
    public void RanksThatDoNotMatchTheSplitAreRefused()
    {
        var three = MpiRunner.Run(2, Timeout, Train(Path.Combine(_root, "three"), 2, "--tensor-parallel", "3"));
        Assert.NotEqual(0, three.ExitCode);
        Assert.Contains("tensor parallelism over 3 ranks needs a multiple of 3 ranks, not 2", three.Stderr);
        Assert.DoesNotContain("   at ", three.Stderr);
    }

    [Fact]
    public void TensorParallelWithoutMpirunSaysHowToStartIt()
    {
        var (code, _, stderr) = CliRunner.Run(Timeout, Train(Path.Combine(_root, "alone"), 2, "--tensor-parallel", "2"));
        Assert.Equal(1, code);
        Assert.Contains("start them with mpirun -np 2", stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "alone")));
    }

    [MpiFact]
    public void TheExampleOnTwoProcessesMatchesItsThreads()
    {
        string dll = ExampleRunTests.Dll("18-TensorParallel");
        var two = MpiRunner.RunDll(dll, 2, Timeout, "12");
        Assert.True(two.ExitCode == 0, two.Stderr);
        Assert.Contains("rank 1 of 2: heads [2, 4) and units [128, 256) of every block", two.Stdout);
        string line = two.Stdout.Split('\n').Single(l => l.StartsWith("against the whole model", StringComparison.Ordinal));
        double logits = double.Parse(line.Split("at most ")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        double gradients = double.Parse(line.Split("at most ")[2].Trim(), CultureInfo.InvariantCulture);
        output.WriteLine(line);
        Assert.True(logits <= 1e-5 && gradients <= 1e-5, line);
    }

    private static List<(double Loss, double Norm, double? Valid)> Metrics(string directory) =>
    [
        .. File.ReadAllLines(Path.Combine(directory, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Select(e =>
            (e.GetProperty("loss").GetDouble(), e.GetProperty("grad_norm").GetDouble(),
             e.TryGetProperty("val_loss", out var v) ? v.GetDouble() : (double?)null)),
    ];

    // ‖A − B‖ / ‖A‖ over the saved weights of two runs, and the largest single difference.
    private static (double Relative, double Largest) Difference(string a, string b) => DataParallelTests.Difference(
        SafeTensors.Read(Path.Combine(a, "model.safetensors")).Tensors, SafeTensors.Read(Path.Combine(b, "model.safetensors")).Tensors);
}
