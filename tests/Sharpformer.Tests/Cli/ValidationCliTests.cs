using System.Text.Json;
using Sharpformer.Tests.Viz;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// `train --eval-bleu --keep-best --average-last --ema --max-minutes`, `sharpformer average` and `viz compare` from the
/// command line: the files they promise, and one line for each mistake.
/// </summary>
public sealed class ValidationCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-validation-cli-").FullName;

    public ValidationCliTests()
    {
        var rng = new Sharpformer.Tensors.Rng(7);
        ColourPairs.Write(Path.Combine(_root, "train.tsv"), 200, rng);
        ColourPairs.Write(Path.Combine(_root, "valid.tsv"), 12, rng);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string[] Train(string name, params string[] more) =>
    [
        "train", "--train", Path.Combine(_root, "train.tsv"), "--valid", Path.Combine(_root, "valid.tsv"),
        "--out", Path.Combine(_root, name),
        "--preset", "tiny", "--vocab-size", "280", "--batch-tokens", "256", "--threads", "1", "--warmup", "3", .. more,
    ];

    [Fact]
    public void ATrainingRunKeepsWhatItsFlagsAskFor()
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, Train("run", "--steps", "30", "--eval-every", "10", "--save-every", "10",
            "--eval-bleu", "--keep-best", "--average-last", "2", "--ema", "0.99"));
        Assert.True(code == 0, stderr);
        string run = Path.Combine(_root, "run");
        Assert.Contains("val_bleu", stderr);
        Assert.Contains($"best: step ", stdout);
        Assert.Contains("by validation BLEU", stdout);
        foreach (string path in new[] { "best/model.safetensors", "best/best.json", "best/tokenizer.json", "ema/model.safetensors",
                     "checkpoints/step-000020.safetensors", "checkpoints/step-000030.safetensors" })
            Assert.True(File.Exists(Path.Combine(run, path)), $"no {path}");
        Assert.False(File.Exists(Path.Combine(run, "checkpoints", "step-000010.safetensors")));

        (code, _, stderr) = CliRunner.Run(Timeout, "average", "--model", run, "--last", "2", "--out", Path.Combine(_root, "avg"));
        Assert.True(code == 0, stderr);
        Assert.Contains("the weights of steps 20, 30 averaged", stderr);
        Assert.Contains("warning: the checkpoints span steps 20–30, 33% of the run's 30", stderr);   // a third of the run: too far apart
        foreach (string model in new[] { Path.Combine(_root, "avg"), Path.Combine(run, "best"), Path.Combine(run, "ema") })
        {
            (code, stdout, stderr) = CliRunner.Run(Timeout, "eval", "--model", model, "--data", Path.Combine(_root, "valid.tsv"),
                "--json", "--threads", "1");
            Assert.True(code == 0, $"{model}: {stderr}");
            using var scores = JsonDocument.Parse(stdout);
            Assert.InRange(scores.RootElement.GetProperty("chrf").GetDouble(), 0.1, 100);
        }

        string picture = Path.Combine(_root, "compare.png");
        (code, stdout, stderr) = CliRunner.Run(Timeout, "viz", "compare", "--metrics", run, "--metrics", Path.Combine(run, "metrics.jsonl"),
            "--out", picture);
        Assert.True(code == 0, stderr);
        VizFixtures.AssertPng(picture);
        (code, _, stderr) = CliRunner.Run(Timeout, "viz", "curves", "--metrics", run, "--out", Path.Combine(_root, "curves.png"));
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void ATimeBudgetAloneEndsTheRun()
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, Train("budget", "--max-minutes", "0.03", "--eval-every", "0"));
        Assert.True(code == 0, stderr);
        Assert.Contains("for 0.03 minutes", stderr);
        using var trainer = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "budget", "trainer.json")));
        Assert.InRange(trainer.RootElement.GetProperty("training_seconds").GetDouble(), 1.8, 30);
        Assert.Contains("; validation loss ", stdout);
        Assert.Matches(@"^done: step \d+, its 0\.03 minutes of training are spent; ", stdout);

        // A resume extends the budget without --force, as --steps extends a step count.
        int before = trainer.RootElement.GetProperty("step").GetInt32();
        (code, _, stderr) = CliRunner.Run(Timeout, Train("budget", "--max-minutes", "0.05", "--eval-every", "0", "--resume"));
        Assert.True(code == 0, stderr);
        using var resumed = JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "budget", "trainer.json")));
        Assert.True(resumed.RootElement.GetProperty("step").GetInt32() > before);
        (code, _, stderr) = CliRunner.Run(Timeout, Train("budget", "--max-minutes", "0.05", "--eval-every", "0", "--ema", "0.9",
            "--resume"));
        Assert.Equal(1, code);
        Assert.Contains("--ema 0.9 (the checkpoint's: 0)", stderr);
    }

    [Fact]
    public void MistakesGiveOneLineAndANonZeroExit()
    {
        string png = Path.Combine(_root, "x.png");
        string otherRun = Directory.CreateDirectory(Path.Combine(_root, "other-run")).FullName;
        File.WriteAllText(Path.Combine(otherRun, "trainer-state.safetensors"), "");
        (string[] Args, string Message)[] cases =
        [
            (Train("a", "--eval-beam", "4"), "--eval-beam goes with --eval-bleu"),
            (Train("b", "--best-by", "bleu", "--keep-best"), "--best-by bleu needs --eval-bleu"),
            (Train("c", "--best-by", "loss"), "--best-by goes with --keep-best or --patience"),
            (Train("d", "--best-by", "chrf", "--keep-best"), "'chrf'"),
            (Train("e", "--ema", "1"), "--ema must be a number in"),
            (Train("f", "--max-minutes", "0"), "--max-minutes must be a number in"),
            (Train("g", "--patience", "-1"), "--patience must be a whole number of at least 0"),
            (Train("g2", "--patience", "2", "--eval-every", "0"), "patience counts evaluations"),
            (["train", "--task", "reverse", "--out", Path.Combine(_root, "h"), "--eval-bleu", "--steps", "2"],
                "eval-bleu translates the validation pairs"),
            (["average", "--model", Path.Combine(_root, "missing"), "--last", "2", "--out", Path.Combine(_root, "i")],
                "no such run directory"),
            (["average", "--model", _root, "--last", "0", "--out", Path.Combine(_root, "j")],
                "--last must be a whole number of at least 1"),
            (["average", "--model", _root, "--out", Path.Combine(_root, "k")], "--last"),
            (["average", "--model", _root, "--last", "1", "--out", Path.Combine(_root, "best")], "another directory than the run's own"),
            (["average", "--model", _root, "--last", "1", "--out", otherRun], "holds a training run"),
            (["viz", "compare", "--metrics", Path.Combine(_root, "missing"), "--out", png], "missing"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, _, stderr) = CliRunner.Run(Timeout, args);
            string shown = string.Join(' ', args.Where(a => !a.StartsWith(_root, StringComparison.Ordinal)));
            Assert.True(code != 0, $"{shown}: exit 0");
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"{shown}: {stderr}");
            Assert.Contains("sharpformer: ", lines[0]);
            Assert.Contains(message, lines[0]);
        }
        Assert.False(File.Exists(png));
    }
}
