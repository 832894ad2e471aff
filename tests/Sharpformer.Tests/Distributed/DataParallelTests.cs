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
/// `mpirun -np N sharpformer train`: the same steps as one process, exact resume after a rank is killed, and a job that
/// ends within seconds when a rank dies. Real processes, the real mpirun.
/// </summary>
public sealed class DataParallelTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-mpi-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Pairs of 1–12 words and their reversal: examples of many lengths, so a rank's share of a batch is trimmed of
    // padding and the ranks' token counts differ.
    private string PairsFile()
    {
        string path = Path.Combine(_root, "pairs.tsv");
        if (File.Exists(path)) return path;
        string[] words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
        var rng = new Sharpformer.Tensors.Rng(11);
        File.WriteAllLines(path, Enumerable.Range(0, 400).Select(_ =>
        {
            var line = Enumerable.Range(0, 1 + rng.NextInt(12)).Select(_ => words[rng.NextInt(words.Length)]).ToArray();
            return string.Join(' ', line) + "\t" + string.Join(' ', line.Reverse());
        }));
        return path;
    }

    private string[] Train(string directory, int steps, params string[] extra) => Train(directory, steps, 384, extra);

    private string[] Train(string directory, int steps, int batchTokens, params string[] extra) =>
        ["train", "--train", PairsFile(), "--out", directory, "--preset", "tiny", "--vocab-size", "300", "--batch-tokens",
         batchTokens.ToString(CultureInfo.InvariantCulture),
         "--steps", steps.ToString(CultureInfo.InvariantCulture), "--log-every", "1", "--eval-every", "0", "--threads", "1",
         "--seed", "5", .. extra];

    [MpiFact]
    public void TwoRanksTakeTheStepsOfOneProcess()
    {
        var (lossA, normA, weightsA) = TrainedBy(1, "single", 50);
        var (lossB, normB, weightsB) = TrainedBy(2, "ranks", 50);
        Assert.Equal(50, lossA.Length);
        Assert.Equal(50, lossB.Length);
        double worstLoss = lossA.Zip(lossB, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max();
        double worstNorm = normA.Zip(normB, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max();
        var (weights50, largest50) = Difference(weightsA, weightsB);
        var (weights1, largest1) = Difference(TrainedBy(1, "single-1", 1).Weights, TrainedBy(2, "ranks-1", 1).Weights);
        output.WriteLine($"2 ranks against 1 process over 50 steps: loss relative error at most {worstLoss:E2} (final " +
                         $"{Math.Abs(lossA[^1] - lossB[^1]) / lossA[^1]:E2}), gradient norm {worstNorm:E2}; weights ‖ΔW‖/‖W‖ " +
                         $"{weights1:E2} after 1 step (largest |Δw| {largest1:E2}), {weights50:E2} after 50 (largest {largest50:E2})");
        Assert.All(lossA.Concat(lossB).Concat(normA).Concat(normB), v => Assert.True(double.IsFinite(v), $"a logged value is {v}"));
        Assert.True(Math.Abs(lossA[^1] - lossB[^1]) / lossA[^1] <= 1e-4, $"final loss {lossA[^1]} against {lossB[^1]}");
        Assert.True(worstLoss <= 1e-4, $"a loss differs by {worstLoss:E2}");
        Assert.True(worstNorm <= 1e-3, $"a gradient norm differs by {worstNorm:E2}");
        Assert.True(weights1 <= 1e-6, $"the weights after one step differ by {weights1:E2}");
        // Adam divides each update by the gradient's running size, so a component whose gradient is at rounding level
        // can step either way: the difference grows from rounding (one step) to about 1e-4 (measured 8e-5) over 50.
        Assert.True(weights50 <= 1e-3, $"the weights after 50 steps differ by {weights50:E2}");
    }

    [MpiFact]
    public void ThreeRanksWithUnevenAndEmptySharesTakeTheStepsOfOneProcess()
    {
        // Batches of 24 padded tokens hold one pair or a few: 3 ranks get uneven shares and some get none, an empty share
        // adding zeros to the sum and nothing to the token count.
        var (lossA, normA, weightsA) = TrainedBy(1, "single-small", 20, batchTokens: 24, validate: true);
        var (lossB, normB, weightsB) = TrainedBy(3, "three-small", 20, batchTokens: 24, validate: true);
        // Each rank evaluates every third validation batch and the sums are shared: the validation losses of one process.
        double[] Validation(string name) => [.. File.ReadAllLines(Path.Combine(_root, name, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement).Where(e => e.TryGetProperty("val_loss", out _))
            .Select(e => e.GetProperty("val_loss").GetDouble())];
        var (validA, validB) = (Validation("single-small"), Validation("three-small"));
        Assert.Equal(4, validA.Length);
        Assert.Equal(validA.Length, validB.Length);
        double worstValid = validA.Zip(validB, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max();
        Assert.All(lossA.Concat(lossB).Concat(normA).Concat(normB), v => Assert.True(double.IsFinite(v), $"a logged value is {v}"));
        double worstLoss = lossA.Zip(lossB, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max();
        double worstNorm = normA.Zip(normB, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max();
        var (weights, _) = Difference(weightsA, weightsB);
        output.WriteLine($"3 ranks against 1 process, batches of a few pairs, 20 steps: loss {worstLoss:E2}, gradient norm " +
                         $"{worstNorm:E2}, validation loss {worstValid:E2}, weights {weights:E2}");
        Assert.All(validA.Concat(validB), v => Assert.True(double.IsFinite(v), $"a validation loss is {v}"));
        Assert.True(worstValid <= 1e-4, $"a validation loss differs by {worstValid:E2}");
        Assert.Equal(20, lossB.Length);
        Assert.True(worstLoss <= 1e-4, $"a loss differs by {worstLoss:E2}");
        Assert.True(worstNorm <= 1e-3, $"a gradient norm differs by {worstNorm:E2}");
        Assert.True(weights <= 1e-3, $"the weights differ by {weights:E2}");
    }

    // Dropout off: with it, ranks draw other masks than one process would.
    private (double[] Losses, double[] Norms, IReadOnlyList<KeyValuePair<string, Sharpformer.Tensors.Tensor>> Weights)
        TrainedBy(int ranks, string name, int steps, int batchTokens = 384, bool validate = false)
    {
        string directory = Path.Combine(_root, name);
        string[] args = Train(directory, steps, batchTokens, "--dropout", "0", "--save-every", "0");
        if (validate) args = [.. args.Select((a, i) => i > 0 && args[i - 1] == "--eval-every" ? "5" : a), "--valid", PairsFile()];
        var (code, _, stderr) = ranks == 1 ? CliRunner.Run(Timeout, args) : MpiRunner.Run(ranks, Timeout, args);
        Assert.True(code == 0, stderr);
        if (ranks > 1) Assert.Contains($"{ranks} ranks × 1 thread(s)", stderr);
        var lines = File.ReadAllLines(Path.Combine(directory, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        return ([.. lines.Select(e => e.GetProperty("loss").GetDouble())], [.. lines.Select(e => e.GetProperty("grad_norm").GetDouble())],
            SafeTensors.Read(Path.Combine(directory, "model.safetensors")).Tensors);
    }

    // ‖A − B‖ / ‖A‖ over every weight, and the largest single difference.
    internal static (double Relative, double Largest) Difference(IReadOnlyList<KeyValuePair<string, Sharpformer.Tensors.Tensor>> a,
        IReadOnlyList<KeyValuePair<string, Sharpformer.Tensors.Tensor>> b)
    {
        var other = b.ToDictionary();
        double difference = 0, norm = 0, largest = 0;
        foreach (var (name, tensor) in a)
            foreach (var (x, y) in tensor.ToArray().Zip(other[name].ToArray()))
            {
                difference += (double)(x - y) * (x - y);
                norm += (double)x * x;
                largest = Math.Max(largest, Math.Abs(x - y));
            }
        return (Math.Sqrt(difference / norm), largest);
    }

    [MpiFact]
    public void AJobWhoseRankIsKilledResumesExactly()
    {
        // Dropout on: each rank's generator must come back from the checkpoint too. Two kills in one run: rank 1 between
        // checkpoints, then rank 0, the rank that writes, inside a checkpoint's write.
        string whole = Path.Combine(_root, "whole"), killed = Path.Combine(_root, "killed");
        var uninterrupted = MpiRunner.Run(2, Timeout, Train(whole, 30, "--save-every", "3"));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        KillRank(killed, rank: 1, afterStep: 9, insideWrite: false);
        int first = TrainerCheckpoint.TryRead(killed)!.Step;
        KillRank(killed, rank: 0, afterStep: first + 6, insideWrite: true, "--resume");
        var left = TrainerCheckpoint.TryRead(killed);   // the last checkpoint is whole
        Assert.NotNull(left);
        Assert.InRange(left.Step, first + 6, 29);
        var resumed = MpiRunner.Run(2, Timeout, Train(killed, 30, "--save-every", "3", "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss),
                     File.ReadAllLines(Path.Combine(killed, "metrics.jsonl")).Select(TrainingTests.Loss));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(killed, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(killed, ".*.tmp"));   // the killed write's temporary file is gone

        // The checkpoint holds two ranks' dropout generators: one process may not resume it.
        var alone = CliRunner.Run(Timeout, Train(killed, 40, "--save-every", "3", "--resume"));
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("the checkpoint was written by 2 ranks; resume it on 2 ranks (mpirun -np 2)", alone.Stderr);
    }

    [MpiFact]
    public void UnderMpirunTheThreadsDefaultToTheMachinesCoresSharedByItsRanksAtMostTheirOwn()
    {
        // Unbound, two ranks share the machine's cores; bound to a core each, they take one thread.
        foreach (var (binding, threads) in new[] { ("none", Math.Max(1, Environment.ProcessorCount / 2)), ("core", 1) })
        {
            string[] args = ["train", "--task", "copy", "--steps", "2", "--out", Path.Combine(_root, $"threads-{binding}")];
            using var job = MpiRunner.StartEach([args, args], mpirunOptions: ["--bind-to", binding]);
            job.StandardInput.Close();
            var (code, _, stderr) = CliRunner.Complete(job, Timeout, args);
            Assert.True(code == 0, stderr);
            Assert.Contains($"2 ranks × {threads} thread(s)", stderr);
        }
    }

    [MpiFact]
    public void AnErrorOnOneRankEndsEveryRankWithOneLine()
    {
        // Rank 1 is given a training file that does not exist; rank 0 would wait for it forever without MPI_Abort.
        string directory = Path.Combine(_root, "error");
        string[] good = Train(directory, 20, "--save-every", "0");
        string[] bad = [.. good.Select(a => a == PairsFile() ? Path.Combine(_root, "missing.tsv") : a)];
        var clock = Stopwatch.StartNew();
        using var job = MpiRunner.StartEach([good, bad]);
        var stderr = job.StandardError.ReadToEndAsync();
        _ = job.StandardOutput.ReadToEndAsync();
        job.StandardInput.Close();
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job went on after a rank failed");
        output.WriteLine($"ended {clock.Elapsed.TotalSeconds:F1} s after the start, exit {job.ExitCode}");
        Assert.NotEqual(0, job.ExitCode);
        var lines = stderr.Result.Split('\n').Where(l => l.StartsWith("sharpformer: ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.StartsWith("sharpformer: rank 1 of 2: ", line);
        Assert.Contains("missing.tsv", line);
        Assert.DoesNotContain("   at ", stderr.Result);   // no stack trace
    }

    [MpiFact]
    public void RanksStartedWithOtherSettingsAreRefusedBeforeTheFirstStep()
    {
        // Rank 1 is given another learning rate: its weights would part from rank 0's without a word.
        string directory = Path.Combine(_root, "disagree");
        string[] good = Train(directory, 20, "--save-every", "0", "--lr", "1e-3");
        string[] other = [.. good[..^1], "2e-3"];
        using var job = MpiRunner.StartEach([good, other]);
        var stderr = job.StandardError.ReadToEndAsync();
        _ = job.StandardOutput.ReadToEndAsync();
        job.StandardInput.Close();
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), "the job went on");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("sharpformer: rank 1 of 2: rank 1 was started with other settings or data than rank 0", stderr.Result);
        Assert.False(File.Exists(Path.Combine(directory, "model.safetensors")), "a model was written");
    }

    [MpiFact]
    public void TheExampleOnTwoRanksPrintsTheLossesOfOneProcess()
    {
        string dll = ExampleRunTests.Dll("17-DataParallel");
        var one = CliRunner.Complete(StartExample(dll), Timeout, []);
        var two = MpiRunner.RunDll(dll, 2, Timeout, "30");
        Assert.True(one.ExitCode == 0 && two.ExitCode == 0, one.Stderr + two.Stderr);
        Assert.Contains("rank 1 of 2", two.Stdout);
        Assert.Contains("training loss of the copy task, 2 ranks, 30 steps", two.Stdout);
        double[] Losses(string stdout) => [.. stdout.Split('\n').Where(l => l.TrimStart().StartsWith("step", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.IndexOf("loss", StringComparison.Ordinal) + 4)..], CultureInfo.InvariantCulture))];
        var (a, b) = (Losses(one.Stdout), Losses(two.Stdout));
        Assert.Equal(6, a.Length);
        Assert.Equal(a.Length, b.Length);
        Assert.All(a.Zip(b), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4 * pair.First, $"{pair}"));
    }

    private static Process StartExample(string dll)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[dll, "30"]) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    // Starts a 2-rank run of 30 steps (a checkpoint every 3) and kills one rank with SIGKILL once a checkpoint of at least
    // afterStep is committed: at once, or as soon as a checkpoint's temporary file shows a write in progress.
    private void KillRank(string directory, int rank, int afterStep, bool insideWrite, params string[] extra)
    {
        using var job = MpiRunner.Start(2, Train(directory, 30, ["--save-every", "3", .. extra]));
        _ = job.StandardOutput.ReadToEndAsync();
        var stderr = job.StandardError.ReadToEndAsync();
        job.StandardInput.Close();
        WaitFor(() => TrainerCheckpoint.TryRead(directory) is { } c && c.Step >= afterStep || job.HasExited,
                $"a checkpoint at step {afterStep}");
        using var victim = Process.GetProcessById(RankProcess(job.Id, rank));
        // The checkpoint's commit: trainer-state.safetensors, written through a temporary file.
        bool Writing() => Directory.EnumerateFiles(directory, $".{Trainer.StateFile}.*.tmp").Any();
        var deadline = DateTime.UtcNow + Timeout;
        while (insideWrite && !Writing() && !job.HasExited && DateTime.UtcNow < deadline) Thread.Yield();
        Assert.False(job.HasExited, "the job ended before it could be killed");
        var killedAt = Stopwatch.StartNew();
        victim.Kill();   // SIGKILL: no handler runs, nothing is flushed
        bool inside = Writing();
        Assert.True(inside || !insideWrite, "the checkpoint's write ended before the kill landed");
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(15)), $"the job went on after its rank {rank} was killed");
        output.WriteLine($"rank {rank} killed{(inside ? " inside the checkpoint's commit (its temporary file left)" : "")}: the job " +
                         $"ended {killedAt.Elapsed.TotalSeconds:F1} s later, exit {job.ExitCode}: " +
                         stderr.Result.Split('\n').FirstOrDefault(l => l.Contains("signal", StringComparison.Ordinal))?.Trim());
        Assert.NotEqual(0, job.ExitCode);
    }

    // The process of one rank of the job, by the rank Open MPI gave it.
    private static int RankProcess(int mpirun, int rank) => Ranks(mpirun).Single(pid =>
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0')
                .Contains("OMPI_COMM_WORLD_RANK=" + rank.ToString(CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return false;   // gone meanwhile
        }
    });

    // The processes mpirun started (its children), oldest first.
    internal static List<int> Ranks(int mpirun) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).OfType<string>()
            .Select(name => int.TryParse(name, out int pid) ? pid : -1).Where(pid => pid > 0 && ParentOf(pid) == mpirun).Order()];

    private static int ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;   // gone meanwhile
        }
    }

    internal static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {Timeout}");
            Thread.Sleep(20);
        }
    }
}
