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
        var started = DateTime.UtcNow;
        var (code, _, stderr) = CliRunner.Run(Timeout, Train(whole));
        Assert.True(code == 0, stderr);
        double runSeconds = (DateTime.UtcNow - started).TotalSeconds;

        var rng = new Rng(2026);
        int kills = 0, insideWrites = 0, beforeFirstCheckpoint = 0, chains = 0;
        while (kills < Kills)
        {
            string directory = Path.Combine(_root, $"chain-{chains++}");
            for (int inChain = 0; inChain < KillsPerChain && kills < Kills; inChain++)
            {
                using var process = CliRunner.Start(Train(directory));
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                process.StandardInput.Close();
                // Half the kills at a random moment, half as soon as a write is seen in progress (its temporary file).
                if (rng.NextInt(2) == 0) Thread.Sleep(TimeSpan.FromSeconds(rng.NextDouble() * runSeconds));
                else
                {
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2 * runSeconds);
                    while (!process.HasExited && DateTime.UtcNow < deadline
                        && !(Directory.Exists(directory) && Directory.EnumerateFiles(directory, ".*.tmp").Any()))
                        Thread.Sleep(1);
                }
                if (process.HasExited) break;   // this chain finished before the kill: nothing left to kill
                process.Kill();                 // SIGKILL: no handler runs, nothing is flushed
                process.WaitForExit();
                kills++;
                if (Directory.Exists(directory) && Directory.GetFiles(directory, ".*.tmp").Length > 0) insideWrites++;
                if (CheckConsistent(directory) is null) beforeFirstCheckpoint++;
            }
            (code, _, stderr) = CliRunner.Run(Timeout, Train(directory));
            Assert.True(code == 0, $"{directory}: {stderr}");
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
                         File.ReadAllBytes(Path.Combine(directory, "model.safetensors")));
            CheckpointAssert.Same(whole, directory);
            Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss),
                         File.ReadAllLines(Path.Combine(directory, "metrics.jsonl")).Select(TrainingTests.Loss));
            Assert.Empty(Directory.GetFiles(directory, ".*.tmp"));
        }
        output.WriteLine($"{kills} kills in {chains} chains ({insideWrites} inside a file write, leaving a temporary file; " +
                         $"{beforeFirstCheckpoint} before the first checkpoint); " +
                         $"{chains} of {chains} resumed chains identical to the uninterrupted run ({runSeconds:F1} s)");
        Assert.True(kills >= 20);
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
