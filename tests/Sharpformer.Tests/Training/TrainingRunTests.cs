using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tests.Cli;
using Sharpformer.Training;

namespace Sharpformer.Tests.Training;

/// <summary>A run started from C# (<see cref="TrainingRun"/>) is the run <c>sharpformer train</c> starts.</summary>
public sealed class TrainingRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-run-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private TrainingRunOptions Reverse(string name, int steps) => new()
    {
        Directory = Path.Combine(_root, name), Task = "reverse", MaxLength = 16, BatchTokens = 256,
        Training = new TrainingOptions { Steps = steps, Warmup = 2, SaveEvery = 4, EvalEvery = 0, LogEvery = 2, Seed = 3 },
    };

    [Fact]
    public void AResumeKeepsTheCheckpointsOptionsUnlessResumeOptionsChangeThemAndNeverTheSeed()
    {
        var setup = Reverse("resumed", steps: 4);
        TrainingRun.Start(setup).Run();
        var ignored = TrainingRun.Start(setup with { Resume = true, ResumeSteps = 6, Training = setup.Training with { Lr = 0.5f } });
        Assert.Equal(1e-3f, ignored.Options.Lr);   // the checkpoint's, as the docs of Training say
        Assert.Equal(6, ignored.Options.Steps);
        var saved = TrainerCheckpoint.TryRead(setup.Directory)!.Options;
        var changed = TrainingRun.Start(setup with { Resume = true, ResumeOptions = saved with { Lr = 2e-3f } });
        Assert.Equal(2e-3f, changed.Options.Lr);
        Assert.Contains("resuming cannot change the seed (3 in the checkpoint, 4 given)", Assert.Throws<ArgumentException>(() =>
            TrainingRun.Start(setup with { Resume = true, ResumeOptions = saved with { Seed = 4 } })).Message);
    }

    [Fact]
    public void TheLibraryAndTheCommandLineTrainTheSameModel()
    {
        var setup = Reverse("library", steps: 6);
        var run = TrainingRun.Start(setup);
        var result = run.Run();
        var (code, _, stderr) = CliRunner.Run(TimeSpan.FromMinutes(2), "train", "--task", "reverse", "--max-length", "16",
            "--batch-tokens", "256", "--steps", "6", "--warmup", "2", "--save-every", "4", "--eval-every", "0", "--log-every", "2",
            "--seed", "3", "--threads", "1", "--out", Path.Combine(_root, "cli"));

        Assert.True(code == 0, stderr);
        Assert.Equal((6, TrainingEnd.StepsDone, "its 6 steps are done"), (result.Step, result.End, result.EndDescription));
        Assert.NotNull(result.ValidLoss);
        foreach (var file in new[] { ModelDirectory.ConfigFile, ModelDirectory.WeightsFile, ModelDirectory.TokenizerFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "cli", file)), File.ReadAllBytes(Path.Combine(setup.Directory, file)));
        var opened = ModelDirectory.Open(setup.Directory);
        Assert.IsType<Transformer>(opened.Model);
        Assert.Equal(run.Data.Tokenizer.VocabSize, opened.Tokenizer.VocabSize);
    }

    [Fact]
    public void AResumedRunContinuesToTheSameWeightsAsAnUnbrokenOne()
    {
        TrainingRun.Start(Reverse("whole", steps: 8)).Run();
        var broken = TrainingRun.Start(Reverse("broken", steps: 8));
        broken.Trainer.Progress = p =>
        {
            if (p.Step == 6) throw new TimeoutException("the run is cut after its step-4 checkpoint");
        };
        Assert.Throws<TimeoutException>(() => broken.Run());
        var log = new List<string>();

        // The checkpoint's settings win over the ones given (99 steps), unless ResumeSteps says otherwise.
        var resumed = TrainingRun.Start(Reverse("broken", steps: 99) with { Resume = true }, log.Add);

        Assert.True(resumed.Resumed);
        Assert.Equal(4, resumed.Trainer.Step);
        Assert.Equal(8, resumed.Options.Steps);
        Assert.Contains("resuming at step 4 of 8", log);
        Assert.Equal(8, resumed.Run().Step);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "whole", ModelDirectory.WeightsFile)),
            File.ReadAllBytes(Path.Combine(_root, "broken", ModelDirectory.WeightsFile)));
        var extended = TrainingRun.Start(Reverse("broken", steps: 99) with { Resume = true, ResumeSteps = 10 });
        Assert.Equal((8, 10), (extended.Trainer.Step, extended.Options.Steps));
    }

    [Fact]
    public void ADirectoryWithACheckpointIsNotOverwritten()
    {
        TrainingRun.Start(Reverse("done", steps: 4)).Run();
        var weights = File.ReadAllBytes(Path.Combine(_root, "done", ModelDirectory.WeightsFile));

        var error = Assert.Throws<ArgumentException>(() => TrainingRun.Start(Reverse("done", steps: 4)));

        Assert.Contains("already holds a checkpoint", error.Message);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(_root, "done", ModelDirectory.WeightsFile)));
    }

    [Theory]
    [InlineData("both", "give either a task or a training file, not both")]
    [InlineData("neither", "give a task name or a training file")]
    [InlineData("valid-alone", "a validation file needs a training file")]
    [InlineData("preset", "unknown preset 'huge' (known: tiny, small, big, base)")]
    [InlineData("epochs-generated", "epochs need a fixed data set")]
    [InlineData("dropout", "dropout must be in [0, 1), got 1.5")]
    public void ContradictoryOptionsAreRefusedBeforeAnythingIsWritten(string mistake, string message)
    {
        var good = Reverse(mistake, steps: 4);
        var setup = mistake switch
        {
            "both" => good with { TrainFile = "pairs.tsv" },
            "neither" => good with { Task = null },
            "valid-alone" => good with { ValidFile = "valid.tsv" },
            "preset" => good with { Preset = "huge" },
            "epochs-generated" => good with { Epochs = 2 },
            _ => good with { Dropout = 1.5f },
        };

        var error = Assert.Throws<ArgumentException>(() => TrainingRun.Start(setup));

        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("--", error.Message);
        Assert.False(Directory.Exists(setup.Directory));
    }

    [Fact]
    public void TheArchitectureIsSizedToTheData()
    {
        var run = TrainingRun.Start(Reverse("sized", steps: 2) with
        {
            Model = TransformerConfig.Base(vocab: 5)
                with { DModel = 32, Heads = 2, DimFeedForward = 64, EncoderLayers = 1, DecoderLayers = 1 },
            Dropout = 0.25f,
        });

        var config = run.Model.Config;
        Assert.Equal(run.Data.Tokenizer.VocabSize, config.SourceVocab);
        Assert.Equal(run.Data.Tokenizer.VocabSize, config.TargetVocab);
        Assert.Equal(18, config.MaxLength);
        Assert.Equal(0.25f, config.Dropout);
        Assert.Equal(32, config.DModel);
    }
}
