using System.Security.Cryptography;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Training;

namespace Sharpformer.Tests.Hardening;

/// <summary>
/// Findings 6, 8, 9 and 10 of the hardening issue, on the real `sharpformer train`: a checkpoint is
/// one commit point (trainer-state.safetensors), whatever instant the process stops — killed between
/// files, before the first checkpoint, leaving temporary files, or failing to write on a full disk —
/// and a damaged metrics log is a one-line error. Runs stay inside the 100 warmup steps, where the
/// learning rate does not depend on --steps, so a 4-step run's checkpoint is the 8-step run's at step 4.
/// </summary>
public sealed class CheckpointCommitTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-commit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string[] Train(string directory, int steps, params string[] extra) =>
        ["train", "--task", "reverse", "--out", directory, "--steps", $"{steps}", "--save-every", "4", "--log-every", "1",
         "--eval-every", "0", "--seed", "5", "--threads", "1", "--batch-tokens", "128", .. extra];

    private string Run(string name, int steps, params string[] extra)
    {
        string directory = Path.Combine(_root, name);
        var (code, _, stderr) = CliRunner.Run(Timeout, Train(directory, steps, extra));
        Assert.True(code == 0, stderr);
        return stderr;
    }

    /// <summary>An uninterrupted 8-step run to compare with.</summary>
    private string Whole() => RunAndReturn("whole", 8);

    private string RunAndReturn(string name, int steps)
    {
        Run(name, steps);
        return Path.Combine(_root, name);
    }

    private static void AssertSameRun(string expected, string actual)
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(expected, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(actual, "model.safetensors")));
        CheckpointAssert.Same(expected, actual);
        Assert.Equal(File.ReadAllLines(Path.Combine(expected, "metrics.jsonl")).Select(TrainingTests.Loss),
                     File.ReadAllLines(Path.Combine(actual, "metrics.jsonl")).Select(TrainingTests.Loss));
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    // ---- 6. a damaged metrics.jsonl ---------------------------------------------------------------

    [Fact]
    public void ADamagedMetricsLineIsAOneLineErrorNamingTheLineAndChangesNothing()
    {
        string source = RunAndReturn("metrics", 4);
        foreach (var (damage, i) in new[] { "garbage}", "{\"step\":\"x\"}", "{\"step\":1e400}", "{\"loss\":1.5}", "[1, 2]",
            "{\"step\": -3}" }.Select((d, i) => (d, i)))
        {
            string directory = Path.Combine(_root, $"metrics-{i}");
            CopyDirectory(source, directory);
            string metrics = Path.Combine(directory, "metrics.jsonl");
            var lines = File.ReadAllLines(metrics);
            lines[1] = damage;
            File.WriteAllLines(metrics, lines);
            var before = Snapshot(directory);

            var (code, stdout, stderr) = CliRunner.Run(Timeout, Train(directory, 8, "--resume"));
            Assert.True(code == 1, $"{damage}: exit code {code}, {stderr}");
            Assert.Equal("", stdout);
            var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.StartsWith("sharpformer: ", StringComparison.Ordinal)).ToList();
            Assert.Single(errors);
            Assert.StartsWith($"sharpformer: {metrics}:2: not a metrics line", errors[0]);
            Assert.DoesNotContain("   at ", stderr);
            Assert.Equal(before, Snapshot(directory));
        }
    }

    // ---- 8. a kill between the checkpoint's files, and a kill before any checkpoint ----------------

    [Fact]
    public void AKillRightAfterTheFirstCheckpointsCommitResumesExactly()
    {
        string whole = Whole();
        string cut = RunAndReturn("cut", 4);
        // What a kill just after trainer-state.safetensors is renamed into place leaves: none of its copies.
        File.Delete(Path.Combine(cut, "trainer.json"));
        File.Delete(Path.Combine(cut, "model.safetensors"));

        Assert.Contains("resuming at step 4 of 8", Run("cut", 8, "--resume"));
        AssertSameRun(whole, cut);
        Assert.True(File.Exists(Path.Combine(cut, "trainer.json")));
    }

    [Fact]
    public void AKillAfterALaterCommitLeavesStaleCopiesThatResumeRewrites()
    {
        string whole = RunAndReturn("whole", 12);
        string earlier = RunAndReturn("earlier", 4);
        string cut = RunAndReturn("stale", 8);
        // A kill just after the step-8 state is committed leaves the step-4 copies beside it.
        File.Copy(Path.Combine(earlier, "model.safetensors"), Path.Combine(cut, "model.safetensors"), overwrite: true);
        File.Copy(Path.Combine(earlier, "trainer.json"), Path.Combine(cut, "trainer.json"), overwrite: true);

        Assert.Contains("resuming at step 8 of 12", Run("stale", 12, "--resume"));
        AssertSameRun(whole, cut);
        Assert.Contains("\"step\": 12", File.ReadAllText(Path.Combine(cut, "trainer.json")));
    }

    [Fact]
    public void ResumeWithoutACheckpointStartsANewRun()
    {
        string whole = Whole();
        string early = RunAndReturn("early", 4);
        // What a kill before the first checkpoint leaves: tokenizer, config and some metrics lines.
        foreach (var file in new[] { "trainer-state.safetensors", "trainer.json", "model.safetensors" })
            File.Delete(Path.Combine(early, file));

        Assert.Contains("holds no checkpoint yet: starting a new run", Run("early", 8, "--resume"));
        AssertSameRun(whole, early);
        Assert.Contains("holds no checkpoint yet", Run("never-made", 8, "--resume"));
    }

    // ---- 9. temporary files of killed writes --------------------------------------------------------

    [Fact]
    public void TemporaryFilesOfKilledWritesAreRemovedOnTheNextStart()
    {
        string directory = RunAndReturn("orphans", 4);
        string[] orphans = [".model.safetensors.0123456789abcdef0123456789abcdef.tmp",
            ".trainer-state.safetensors.fedcba9876543210fedcba9876543210.tmp"];
        string[] others = [".notes.tmp", "keep.0123456789abcdef0123456789abcdef.tmp", ".x.0123456789ABCDEF0123456789ABCDEF.tmp"];
        foreach (var name in orphans.Concat(others)) File.WriteAllBytes(Path.Combine(directory, name), new byte[3 << 20]);

        Run("orphans", 8, "--resume");
        foreach (var name in orphans) Assert.False(File.Exists(Path.Combine(directory, name)), name);
        foreach (var name in others) Assert.True(File.Exists(Path.Combine(directory, name)), name);
    }

    // ---- 10. a failed write: the previous checkpoint stays usable -----------------------------------

    [Fact]
    public void AFullDiskDuringACheckpointKeepsThePreviousOne()
    {
        string whole = Whole();
        string directory = RunAndReturn("full", 4);
        string state = Path.Combine(directory, "trainer-state.safetensors");
        var checkpoint = File.ReadAllBytes(state);
        Assert.True(checkpoint.Length > 2 << 20, "the trainer state must be larger than the limit below");

        // Files may grow to 1.5 MB: the model (under 1 MB) is written, the trainer state (about 3 MB) fails halfway.
        var (code, _, stderr) = CliRunner.RunWithFileSizeLimit(Timeout, 1536, Train(directory, 8, "--resume"));
        Assert.True(code == 1, $"exit code {code}: {stderr}");
        Assert.Contains($"sharpformer: {state}: could not be written", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(checkpoint, File.ReadAllBytes(state));
        Assert.Empty(Directory.GetFiles(directory, ".*.tmp"));

        Assert.Contains("resuming at step 4 of 8", Run("full", 8, "--resume"));
        AssertSameRun(whole, directory);
    }

    [Fact]
    public void AFailedModelWriteAfterTheFirstCommitResumesExactly()
    {
        string whole = Whole();
        string directory = Path.Combine(_root, "blocked");
        Directory.CreateDirectory(Path.Combine(directory, "model.safetensors"));   // the rename onto it fails

        var (code, _, stderr) = CliRunner.Run(Timeout, Train(directory, 8));
        Assert.True(code == 1, $"exit code {code}: {stderr}");
        Assert.Contains("model.safetensors: could not be written", stderr);
        Assert.True(File.Exists(Path.Combine(directory, "trainer-state.safetensors")));

        Directory.Delete(Path.Combine(directory, "model.safetensors"));
        Assert.Contains("resuming at step 4 of 8", Run("blocked", 8, "--resume"));
        AssertSameRun(whole, directory);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
