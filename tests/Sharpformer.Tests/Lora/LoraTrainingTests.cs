using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Tests.Lora;

/// <summary>The trainer on a model with adapters: the base stays bit-identical, the adapters learn, the loss falls.</summary>
public sealed class LoraTrainingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-lora-train-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TrainingMovesOnlyTheAdaptersAndLowersTheLoss()
    {
        var rng = new Rng(3);
        var task = new ToyTask(ToyTaskKind.Reverse, vocab: 20, minLength: 4, maxLength: 8);
        var model = SequenceModel.Create(TransformerConfig.Tiny(20) with { MaxLength = 16 }, rng);
        model.AddLora(new LoraOptions { Rank = 4, Targets = LoraTargets.All }, new Rng(4));
        var frozen = model.NamedParameters().Where(p => !p.Value.RequiresGrad).ToDictionary(p => p.Name, p => p.Value.ToArray());
        var adapters = model.NamedParameters().Where(p => p.Value.RequiresGrad).ToDictionary(p => p.Name, p => p.Value.ToArray());
        var losses = new List<float>();
        var trainer = new Trainer(model, rng, new ToyTaskBatches(task, 16, 5), [],
            new TrainingOptions { Steps = 60, SaveEvery = 0, EvalEvery = 0, Lr = 3e-3f, Warmup = 5 }, _root)
        {
            Progress = p => losses.Add(p.Loss),
        };
        trainer.Run();

        foreach (var (name, p) in model.NamedParameters())
            if (frozen.TryGetValue(name, out var before)) Assert.Equal(before, p.ToArray());
            else Assert.NotEqual(adapters[name], p.ToArray());
        Assert.True(losses.TakeLast(10).Average() < losses.Take(10).Average() - 0.2f,
            $"the loss did not fall: {losses.Take(10).Average():F3} → {losses.TakeLast(10).Average():F3}");
    }

    [Fact]
    public void WithBiasesTheBiasesTrainAndTheMatricesStayBitIdentical()
    {
        var rng = new Rng(3);
        var task = new ToyTask(ToyTaskKind.Reverse, vocab: 20, minLength: 4, maxLength: 8);
        var model = SequenceModel.Create(TransformerConfig.Tiny(20) with { MaxLength = 16 }, rng);
        model.AddLora(new LoraOptions { Rank = 2, TrainBiases = true }, new Rng(4));
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
        Assert.All(model.NamedParameters(), p => Assert.Equal(p.Name.EndsWith("bias") || p.Name.Contains("lora_"), p.Value.RequiresGrad));
        new Trainer(model, rng, new ToyTaskBatches(task, 16, 5), [],
            new TrainingOptions { Steps = 20, SaveEvery = 0, EvalEvery = 0, Lr = 3e-3f, Warmup = 5 }, _root).Run();

        foreach (var (name, p) in model.NamedParameters())
            if (p.RequiresGrad) Assert.NotEqual(before[name], p.ToArray());
            else Assert.Equal(before[name], p.ToArray());
        Assert.Contains(model.NamedParameters(), p => p.Name == "generator.bias" && p.Value.RequiresGrad);
    }

    [Fact]
    public void WithLoraPlusTheBMatricesTakeStepsRatioTimesLonger()
    {
        // One update from B = 0: A gets no gradient yet, and Adam's first step moves each B value by lr·g/(|g| + ε) ≈ ±lr,
        // so with LoRA+ every B moves `ratio` times as far, and nothing else changes.
        Dictionary<string, float[]> StepOnce(float ratio)
        {
            var rng = new Rng(3);
            var task = new ToyTask(ToyTaskKind.Reverse, vocab: 20, minLength: 4, maxLength: 8);
            var model = SequenceModel.Create(TransformerConfig.Tiny(20) with { MaxLength = 16 }, rng);
            model.AddLora(new LoraOptions { Rank = 2, Targets = LoraTargets.All | LoraTargets.Embedding, Dropout = 0f }, new Rng(4));
            var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Value.ToArray());
            new Trainer(model, rng, new ToyTaskBatches(task, 16, 5), [],
                new TrainingOptions { Steps = 1, SaveEvery = 0, EvalEvery = 0, Lr = 1e-3f, Warmup = 0, LoraPlusRatio = ratio },
                Path.Combine(_root, $"ratio-{ratio}")).Run();
            return model.NamedParameters().ToDictionary(p => p.Name,
                p => p.Value.ToArray().Select((v, i) => v - before[p.Name][i]).ToArray());
        }
        var plain = StepOnce(1f);
        var plus = StepOnce(4f);
        Assert.Contains(plain.Keys, name => name.EndsWith("lora_B.weight", StringComparison.Ordinal));
        foreach (var (name, step) in plus)
        {
            bool isB = name.EndsWith("lora_B.weight", StringComparison.Ordinal);
            Assert.True(!isB || step.Any(d => d != 0), $"{name} did not move");
            for (int i = 0; i < step.Length; i++)
                Assert.True(Math.Abs(step[i] - (isB ? 4f : 1f) * plain[name][i]) <= 1e-6f, $"{name}[{i}]: {step[i]} / {plain[name][i]}");
        }
        Assert.Throws<ArgumentException>(() => new TrainingOptions { LoraPlusRatio = 0f }.Validate());
    }
}
