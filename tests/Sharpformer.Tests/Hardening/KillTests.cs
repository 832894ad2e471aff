using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.Tensors;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Training;
using Sharpformer.Training;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Hardening;

/// <summary>
/// The kill test: `sharpformer train` killed with SIGKILL at random moments — during start-up, between
/// steps, inside checkpoint writes (a checkpoint after every step, and half the kills timed to land
/// while a temporary file is being written) — and resumed each time with
/// --resume, in several chains. After every kill the directory must hold a readable checkpoint (or
/// none yet) and a loadable model; every chain must end byte-identical to an uninterrupted run.
/// </summary>
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 24, KillsPerChain = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-kill-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string[] Train(string directory) =>
        ["train", "--task", "reverse", "--out", directory, "--steps", "24", "--save-every", "1", "--log-every", "1",
         "--eval-every", "0", "--seed", "7", "--threads", "1", "--batch-tokens", "128", "--resume"];

    [Fact]
    public void RunsKilledAtRandomMomentsResumeToTheUninterruptedResult()
    {
        string whole = Path.Combine(_root, "whole");
        double runSeconds = TimedRun(Train(whole));
        var (kills, chains, insideWrites, beforeFirstCheckpoint) = KillAndResume(Train, runSeconds, Kills, new Rng(2026), directory =>
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
                         File.ReadAllBytes(Path.Combine(directory, "model.safetensors")));
            CheckpointAssert.Same(whole, directory);
            Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss),
                         File.ReadAllLines(Path.Combine(directory, "metrics.jsonl")).Select(TrainingTests.Loss));
        });
        output.WriteLine($"{kills} kills in {chains} chains ({insideWrites} inside a file write, leaving a temporary file; " +
                         $"{beforeFirstCheckpoint} before the first checkpoint); " +
                         $"{chains} of {chains} resumed chains identical to the uninterrupted run ({runSeconds:F1} s)");
        Assert.True(insideWrites > 0, "no kill landed inside a file write");
    }

    /// <summary>
    /// The same with everything a run keeps besides its checkpoint — the best model by validation BLEU, the moving
    /// average of the weights, the last checkpoints for averaging — on a TSV corpus whose epochs end mid-run.
    /// </summary>
    [Fact]
    public void RunsThatKeepBestEmaAndLastCheckpointsResumeToTheUninterruptedResult()
    {
        var rng = new Rng(5);
        string train = Path.Combine(_root, "train.tsv"), valid = Path.Combine(_root, "valid.tsv");
        ColourPairs.Write(train, 200, rng);   // about 8 updates an epoch: the run crosses three epoch boundaries
        ColourPairs.Write(valid, 12, rng);
        string[] Keeping(string directory) =>
            ["train", "--train", train, "--valid", valid, "--out", directory, "--preset", "tiny", "--vocab-size", "280",
             "--batch-tokens", "256", "--threads", "1", "--warmup", "3", "--steps", "30", "--eval-every", "5", "--eval-bleu",
             "--keep-best", "--average-last", "2", "--ema", "0.9", "--save-every", "1", "--log-every", "1", "--seed", "3", "--resume"];

        string whole = Path.Combine(_root, "whole");
        double runSeconds = TimedRun(Keeping(whole));
        Assert.Contains("\"epoch\":3", File.ReadAllText(Path.Combine(whole, "metrics.jsonl")));
        string[] kept = ["model.safetensors", "best/model.safetensors", "best/best.json", "ema/model.safetensors",
            "checkpoints/step-000029.safetensors", "checkpoints/step-000030.safetensors"];

        var (kills, chains, insideWrites, _) = KillAndResume(Keeping, runSeconds, 12, new Rng(77), directory =>
        {
            foreach (string file in kept)
                Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(directory, file))),
                    $"{file} differs from the uninterrupted run's");
            Assert.Equal(Directory.GetFiles(Path.Combine(whole, "checkpoints")).Length,
                Directory.GetFiles(Path.Combine(directory, "checkpoints")).Length);
            CheckpointAssert.Same(whole, directory);
            Assert.Equal(Untimed(Path.Combine(whole, "metrics.jsonl")), Untimed(Path.Combine(directory, "metrics.jsonl")));
        });
        output.WriteLine($"{kills} kills in {chains} chains ({insideWrites} inside a file write), each resumed to the uninterrupted " +
                         $"run's files ({runSeconds:F1} s)");
        Assert.True(insideWrites > 0, "no kill landed inside a file write");
    }

    // A metrics file without its clocks: every loss, rate, norm and validation score.
    private static List<string> Untimed(string metrics) =>
        [.. File.ReadAllLines(metrics).Select(line => System.Text.RegularExpressions.Regex.Replace(line,
            "\"(tokens_per_s|train_s)\":[0-9.eE+-]+,?", ""))];

    // Runs the command to its end (it must succeed) and returns how many seconds it took.
    private static double TimedRun(string[] args)
    {
        var started = DateTime.UtcNow;
        var (code, _, stderr) = CliRunner.Run(Timeout, args);
        Assert.True(code == 0, stderr);
        return (DateTime.UtcNow - started).TotalSeconds;
    }

    /// <summary>
    /// <paramref name="killCount"/> SIGKILLs in chains of up to <see cref="KillsPerChain"/>, of the command
    /// <paramref name="args"/> gives for a chain's directory — half at a random moment of a run lasting
    /// <paramref name="runSeconds"/>, half as soon as a write is in progress — each chain then run to its end and handed
    /// to <paramref name="check"/>.
    /// </summary>
    private (int Kills, int Chains, int InsideWrites, int BeforeFirstCheckpoint) KillAndResume(Func<string, string[]> args,
        double runSeconds, int killCount, Rng rng, Action<string> check)
    {
        int kills = 0, insideWrites = 0, beforeFirstCheckpoint = 0, chains = 0;
        while (kills < killCount)
        {
            string directory = Path.Combine(_root, $"chain-{chains++}");
            bool Writing() => Directory.Exists(directory)
                && Directory.EnumerateFiles(directory, ".*.tmp", SearchOption.AllDirectories).Any();
            for (int inChain = 0; inChain < KillsPerChain && kills < killCount; inChain++)
            {
                using var process = CliRunner.Start(args(directory));
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                process.StandardInput.Close();
                // Half the kills at a random moment, half as soon as a write is seen in progress (its temporary file).
                if (rng.NextInt(2) == 0) Thread.Sleep(TimeSpan.FromSeconds(rng.NextDouble() * runSeconds));
                else
                {
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2 * runSeconds);
                    while (!process.HasExited && DateTime.UtcNow < deadline && !Writing()) Thread.Sleep(1);
                }
                if (process.HasExited) break;   // this chain finished before the kill: nothing left to kill
                process.Kill();                 // SIGKILL: no handler runs, nothing is flushed
                process.WaitForExit();
                kills++;
                if (Writing()) insideWrites++;
                if (CheckConsistent(directory) is null) beforeFirstCheckpoint++;
            }
            var (code, _, stderr) = CliRunner.Run(Timeout, args(directory));
            Assert.True(code == 0, $"{directory}: {stderr}");
            check(directory);
            Assert.Empty(Directory.GetFiles(directory, ".*.tmp", SearchOption.AllDirectories));
        }
        return (kills, chains, insideWrites, beforeFirstCheckpoint);
    }

    /// <summary>The checkpoint a killed run left (null: none yet), after checking that what is there loads.</summary>
    private static TrainerCheckpoint? CheckConsistent(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var checkpoint = TrainerCheckpoint.TryRead(directory);
        if (checkpoint is not null)
        {
            // What a resume needs besides the state was written before the first step and must be whole.
            SafeTensors.Read(Path.Combine(directory, Trainer.StateFile));
            ModelDirectory.ReadConfig(directory);
            Sharpformer.Text.ITokenizer.Load(Path.Combine(directory, "tokenizer.json"));
            if (File.Exists(Path.Combine(directory, Trainer.StateJsonFile)))
                Assert.True(TrainerCheckpointJsonStep(directory) <= checkpoint.Step);
        }
        if (File.Exists(Path.Combine(directory, ModelDirectory.WeightsFile))) ModelDirectory.Load(directory);
        return checkpoint;
    }

    // trainer.json is a copy written after the commit: at the checkpoint's step or the one before.
    private static int TrainerCheckpointJsonStep(string directory)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, Trainer.StateJsonFile)));
        return json.RootElement.GetProperty("step").GetInt32();
    }
}
