using System.Text.Json;

namespace Sharpformer.Tests.Cli;

/// <summary>`train --resume` given settings other than its checkpoint's: refused with the list, or continued under --force.</summary>
public sealed class ResumeSettingsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-resume-settings-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Train(string directory, params string[] more) =>
        ["train", "--task", "copy", "--out", directory, "--threads", "1", "--batch-tokens", "128", "--eval-every", "0", .. more];

    [Fact]
    public void ChangedSettingsAreListedAndRefusedUnlessForced()
    {
        string run = Path.Combine(_root, "run");
        var (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "3", "--lr", "0.002", "--warmup", "2"));
        Assert.True(code == 0, stderr);

        // The same command line again, longer: nothing differs.
        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "4", "--lr", "0.002", "--warmup", "2", "--resume"));
        Assert.True(code == 0, stderr);

        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "5", "--lr", "0.0005", "--label-smoothing", "0", "--resume"));
        Assert.Equal(1, code);
        Assert.Contains("these differ: --lr 0.0005 (the checkpoint's: 0.002), --label-smoothing 0 (the checkpoint's: 0.1)", stderr);
        Assert.Contains("--force", stderr);
        Assert.Equal(4, Step(run));

        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "5", "--lr", "0.0005", "--resume", "--force"));
        Assert.True(code == 0, stderr);
        Assert.Contains("--force:", stderr);
        using var trainer = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "trainer.json")));
        var options = trainer.RootElement.GetProperty("options");
        Assert.Equal(0.0005, options.GetProperty("lr").GetDouble(), 6);
        Assert.Equal(2, options.GetProperty("warmup").GetInt32());   // not given: the checkpoint's, not the default
        Assert.Equal(5, Step(run));

        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "6", "--positional", "rope", "--resume", "--force"));
        Assert.Equal(1, code);
        Assert.Contains("cannot change the model's positions", stderr);
        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "6", "--seed", "9", "--resume", "--force"));
        Assert.Equal(1, code);
        Assert.Contains("cannot change the seed", stderr);
        // Batch settings are not options of the checkpoint but shape its position: other batches are refused by name.
        var args = Train(run, "--steps", "6", "--resume");
        args[Array.IndexOf(args, "128")] = "512";
        (code, _, stderr) = CliRunner.Run(Timeout, args);
        Assert.Equal(1, code);
        Assert.Contains("the checkpoint's training batches were 9 examples a batch, these would be 39 examples a batch", stderr);
        (code, _, stderr) = CliRunner.Run(Timeout, Train(Path.Combine(_root, "other"), "--steps", "2", "--force"));
        Assert.Equal(1, code);
        Assert.Contains("--force goes with --resume", stderr);
    }

    [Fact]
    public void OptimizerSettingsAreRecordedAndKeptOnResume()
    {
        string run = Path.Combine(_root, "optimizer");
        string[] optimizer = ["--schedule", "linear", "--weight-decay", "0.01", "--beta2", "0.99", "--clip-norm", "0.5",
                              "--accumulation", "2"];
        var (code, _, stderr) = CliRunner.Run(Timeout, Train(run, ["--steps", "2", .. optimizer]));
        Assert.True(code == 0, stderr);
        AssertOptions();

        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "3", "--schedule", "constant", "--accumulation", "1", "--resume"));
        Assert.Equal(1, code);
        Assert.Contains("these differ: --schedule constant (the checkpoint's: linear), --accumulation 1 (the checkpoint's: 2)", stderr);

        (code, _, stderr) = CliRunner.Run(Timeout, Train(run, "--steps", "3", "--resume"));   // not given: the checkpoint's
        Assert.True(code == 0, stderr);
        Assert.Equal(3, Step(run));
        AssertOptions();

        void AssertOptions()
        {
            using var trainer = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "trainer.json")));
            var options = trainer.RootElement.GetProperty("options");
            Assert.Equal("linear", options.GetProperty("schedule").GetString());
            Assert.Equal(0.01, options.GetProperty("weight_decay").GetDouble(), 6);
            Assert.Equal(0.99, options.GetProperty("beta2").GetDouble(), 6);
            Assert.Equal(0.5, options.GetProperty("clip_norm").GetDouble(), 6);
            Assert.Equal(2, options.GetProperty("accumulation").GetInt32());
        }
    }

    private static int Step(string run)
    {
        using var trainer = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "trainer.json")));
        return trainer.RootElement.GetProperty("step").GetInt32();
    }
}
