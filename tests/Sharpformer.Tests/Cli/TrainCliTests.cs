using System.Globalization;
using System.Security.Cryptography;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tests.Training;

namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end: the real `sharpformer train` process, killed and resumed.</summary>
public sealed class TrainCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string[] TrainArgs(string directory, params string[] extra) => TrainArgsFor(directory, 60, extra);

    private static string[] TrainArgsFor(string directory, int steps, params string[] extra) =>
        ["train", "--task", "reverse", "--out", directory, "--steps", steps.ToString(CultureInfo.InvariantCulture), "--save-every", "20",
         "--log-every", "1", "--eval-every", "0", "--seed", "5", "--threads", "1", "--batch-tokens", "256", .. extra];

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void SigkillThenResumeGivesTheSameLossesAsAnUninterruptedRun(string precision)
    {
        string whole = Path.Combine(_root, "whole"), killed = Path.Combine(_root, "killed");
        var (code, _, stderr) = CliRunner.Run(Timeout, TrainArgs(whole, "--precision", precision));
        Assert.True(code == 0, stderr);
        if (precision == "bf16") Assert.Contains("in bf16 mixed precision", stderr);

        using (var process = StartAndWaitForStep(TrainArgs(killed, "--precision", precision), 45))
        {
            process.Kill(); // SIGKILL on Linux: no chance to clean up
            process.WaitForExit();
        }
        (code, _, stderr) = CliRunner.Run(Timeout, TrainArgs(killed, "--resume"));   // the precision comes from the checkpoint
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming at step 40", stderr);
        Assert.Contains($"\"precision\": \"{precision}\"", File.ReadAllText(Path.Combine(killed, "trainer.json")));

        var expected = File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss).ToList();
        var actual = File.ReadAllLines(Path.Combine(killed, "metrics.jsonl")).Select(TrainingTests.Loss).ToList();
        Assert.Equal(60, expected.Count);
        Assert.Equal(expected, actual);
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(killed, "model.safetensors")));
    }

    [Theory]
    [InlineData(Signal.Interrupt, 130)]   // Ctrl-C
    [InlineData(Signal.Terminate, 143)]   // docker stop, a scheduler's preemption
    public void ASignalCheckpointsTheLastUpdateBeforeExiting(Signal signal, int expectedCode)
    {
        string whole = Path.Combine(_root, "whole"), stopped = Path.Combine(_root, "stopped");
        // 200 short updates: the signal, sent after update 45, lands long before the run could end by itself.
        var (code, _, stderr) = CliRunner.Run(Timeout, TrainArgsFor(whole, 200));
        Assert.True(code == 0, stderr);

        using (var process = StartAndWaitForStep(TrainArgsFor(stopped, 200), 45))
        {
            Signals.Send(process.Id, signal);
            (code, _, stderr) = CliRunner.Complete(process, Timeout, ["train"]);
        }
        Assert.Equal(expectedCode, code);   // 128 + the signal's number, as the shell reports a process the signal ended
        Assert.Contains("stopping after this update to checkpoint it", stderr);
        var match = System.Text.RegularExpressions.Regex.Match(stderr, @"cancelled after step (\d+); the checkpoint .* holds step \1: " +
            "continue it with --resume");
        Assert.True(match.Success, stderr);
        int step = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(step, 45, 199);   // stopped by the signal, before the run's end
        (code, _, stderr) = CliRunner.Run(Timeout, TrainArgsFor(stopped, 200, "--resume"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"resuming at step {step}", stderr);
        Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(TrainingTests.Loss),
            File.ReadAllLines(Path.Combine(stopped, "metrics.jsonl")).Select(TrainingTests.Loss));
    }

    [Fact]
    public async Task ASecondSignalStopsAtOnceAndTheRunStillResumes()
    {
        // The big preset at 4,096 tokens: an update takes seconds, so the second signal lands while the first waits for it.
        string directory = Path.Combine(_root, "stopped");
        string[] args = ["train", "--task", "reverse", "--preset", "big", "--out", directory, "--steps", "4", "--save-every", "1",
            "--log-every", "1", "--eval-every", "0", "--seed", "5", "--threads", "1", "--batch-tokens", "4096"];
        int code;
        var stderr = new System.Text.StringBuilder();
        using (var process = StartAndWaitForStep(args, 2))
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            Signals.Send(process.Id, Signal.Interrupt);
            // Two signals sent back to back would merge into one (POSIX keeps one pending): wait for the first's answer.
            for (string? line; (line = await process.StandardError.ReadLineAsync().WaitAsync(Timeout)) is not null;)
            {
                stderr.AppendLine(line);
                if (line.Contains("stopping after this update", StringComparison.Ordinal)) break;
            }
            Signals.Send(process.Id, Signal.Interrupt);
            stderr.Append(await process.StandardError.ReadToEndAsync().WaitAsync(Timeout));
            Assert.True(process.WaitForExit(Timeout), "a second Ctrl-C did not end the run");
            code = process.ExitCode;
            await stdout;
        }
        Assert.Equal(130, code);
        Assert.Contains("stopping after this update", stderr.ToString());
        Assert.DoesNotContain("cancelled after step", stderr.ToString());   // ended by the signal, not by the checkpointed stop
        var (resumed, _, resumeErr) = CliRunner.Run(Timeout, [.. args, "--resume"]);   // what was on disk is whole
        Assert.True(resumed == 0, resumeErr);
        Assert.Matches(@"resuming at step [1-4]\b", resumeErr);
    }

    // Starts `train` with args and returns it once its metrics log holds `step` lines (one an update), still running.
    private static System.Diagnostics.Process StartAndWaitForStep(string[] args, int step)
    {
        var process = CliRunner.Start(args);
        string metrics = Path.Combine(args[Array.IndexOf(args, "--out") + 1], "metrics.jsonl");
        var deadline = DateTime.UtcNow + Timeout;
        while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= step) && !process.HasExited && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.False(process.HasExited, $"the run finished before update {step}, where it was to be stopped");
        return process;
    }

    [Fact]
    public void AConfigFileSizesTheVocabularyUnlessVocabSizeIsGiven()
    {
        // Pairs of made-up words, enough for a byte-level BPE of a few hundred tokens.
        var rng = new Sharpformer.Tensors.Rng(3);
        string Word() => new([.. Enumerable.Range(0, 3 + rng.NextInt(6)).Select(_ => (char)('a' + rng.NextInt(26)))]);
        string pairs = Path.Combine(_root, "pairs.tsv");
        File.WriteAllLines(pairs, Enumerable.Range(0, 300).Select(_ =>
        {
            var words = Enumerable.Range(0, 6).Select(_ => Word()).ToArray();
            return string.Join(' ', words) + "\t" + string.Join(' ', words.Reverse());
        }));
        string config = Path.Combine(_root, "config.json");
        TransformerConfigFile.Write(config, TransformerConfig.Tiny(320) with { DModel = 16, DimFeedForward = 32 });

        int VocabularyOf(string name, params string[] extra)
        {
            string directory = Path.Combine(_root, name);
            var (code, _, stderr) = CliRunner.Run(Timeout, ["train", "--train", pairs, "--out", directory, "--config", config,
                "--steps", "1", "--eval-every", "0", "--threads", "1", "--batch-tokens", "256", .. extra]);
            Assert.True(code == 0, stderr);
            return ModelDirectory.ReadConfig(directory).TargetVocab;
        }
        Assert.Equal(320, VocabularyOf("from-config"));
        Assert.Equal(290, VocabularyOf("from-flag", "--vocab-size", "290"));
    }

    [Fact]
    public void AnUnknownPrecisionIsRefused()
    {
        var (code, _, stderr) = CliRunner.Run(Timeout, TrainArgs(Path.Combine(_root, "fp16"), "--precision", "fp16"));
        Assert.Equal(2, code);
        Assert.Contains("fp16", stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "fp16")));
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("garbage")]
    public void ACorruptCheckpointIsAOneLineErrorAndTouchesNothing(string damage)
    {
        string directory = Path.Combine(_root, damage);
        var (code, _, stderr) = CliRunner.Run(Timeout,
            ["train", "--task", "copy", "--out", directory, "--steps", "3", "--threads", "1", "--batch-tokens", "128"]);
        Assert.True(code == 0, stderr);
        string state = Path.Combine(directory, "trainer-state.safetensors");
        var bytes = File.ReadAllBytes(state);
        if (damage == "truncate") File.WriteAllBytes(state, bytes[..(bytes.Length / 2)]);
        else
        {
            bytes[10] ^= 0x5A;
            bytes[20] ^= 0x5A;
            File.WriteAllBytes(state, bytes);
        }
        var before = Snapshot(directory);

        (code, var stdout, stderr) = CliRunner.Run(Timeout, ["train", "--task", "copy", "--out", directory, "--steps", "6", "--resume"]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sharpformer: ", lines[0]);
        Assert.Contains("trainer-state.safetensors", lines[0]);
        Assert.Equal(before, Snapshot(directory));
    }

    [Fact]
    public void BadOptionsAreOneLineErrors()
    {
        foreach (var args in new[]
        {
            new[] { "train", "--task", "copy", "--out", Path.Combine(_root, "x"), "--steps", "0" },
            ["train", "--task", "nonsense", "--out", Path.Combine(_root, "y")],
            ["train", "--task", "copy", "--out", Path.Combine(_root, "z"), "--lr", "abc"],
            ["train", "--task", "copy"],
            ["train", "--task", "copy", "--out", Path.Combine(_root, "w"), "--preset", "huge"],
        })
        {
            var (code, _, stderr) = CliRunner.Run(Timeout, args);
            Assert.NotEqual(0, code);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", stderr);
        }
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
