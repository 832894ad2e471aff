using System.Security.Cryptography;
using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Tests.Training;

public sealed class TrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-train-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly ToyTask Copy = new(ToyTaskKind.Copy, vocab: 20, minLength: 4, maxLength: 12);

    private Trainer NewTrainer(TrainingOptions options, out Transformer model)
    {
        var rng = new Rng(options.Seed);
        model = new Transformer(TransformerConfig.Tiny(Copy.Vocab) with { MaxLength = 64 }, rng);
        return new Trainer(model, rng, new ToyTaskBatches(Copy, 78, options.Seed + 1),
            ToyTaskBatches.Fixed(Copy, 78, 2, options.Seed + 2), options, _directory);
    }

    [Fact]
    public void TinyModelLearnsTheCopyTask()
    {
        // A fixed step count and seed; accuracy is measured on sequences from a seed training never saw.
        var trainer = NewTrainer(new TrainingOptions { Steps = 1000, Seed = 1, EvalEvery = 0, SaveEvery = 0 }, out var model);
        trainer.Run();
        var fresh = ToyTaskBatches.Fixed(Copy, 100, 5, seed: 987_654);
        var (_, accuracy) = TeacherForcedEvaluation.Run(model, fresh);
        Assert.True(accuracy >= 0.99f, $"teacher-forced token accuracy {accuracy:P2} < 99%");
    }

    [Fact]
    public void NonFiniteLossStopsAndKeepsTheLastCheckpoint()
    {
        var trainer = NewTrainer(new TrainingOptions { Steps = 10, Seed = 2, SaveEvery = 5, EvalEvery = 0 }, out var model);
        byte[]? hashAtCheckpoint = null;
        string state = Path.Combine(_directory, Trainer.StateFile);
        trainer.Progress = p =>
        {
            if (p.Step != 5) return;
            hashAtCheckpoint = SHA256.HashData(File.ReadAllBytes(state));
            using (Sharpformer.Autograd.GradMode.NoGrad()) model.Generator.Bias!.AddInPlace(Tensor.Scalar(float.NaN));
        };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Contains("at step 6", e.Message);
        Assert.Equal(hashAtCheckpoint, SHA256.HashData(File.ReadAllBytes(state)));
        Assert.Equal(5, TrainerCheckpoint.TryRead(_directory)!.Step);
    }

    [Fact]
    public void ResumeInProcessContinuesExactly()
    {
        var options = new TrainingOptions { Steps = 12, Seed = 3, SaveEvery = 6, EvalEvery = 0, LogEvery = 1 };
        string reference = Path.Combine(_directory, "reference.jsonl");
        NewTrainer(options, out _).Run();
        File.Move(Path.Combine(_directory, MetricsLog.FileName), reference);
        foreach (var f in Directory.GetFiles(_directory).Where(f => f != reference)) File.Delete(f);

        var first = NewTrainer(options with { Steps = 6 }, out _);
        first.Run();
        var second = NewTrainer(options, out _);
        second.Resume();
        Assert.Equal(6, second.Step);
        second.Run();
        Assert.Equal(File.ReadAllLines(reference).Select(Loss),
            File.ReadAllLines(Path.Combine(_directory, MetricsLog.FileName)).Select(Loss));
    }

    internal static string Loss(string metricsLine)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(metricsLine);
        return doc.RootElement.GetProperty("step").GetInt32() + ":" + doc.RootElement.GetProperty("loss").GetRawText();
    }
}
