using System.Text.Json;
using Sharpformer.Kernels;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Tests.MixedPrecision;

public sealed class MixedPrecisionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-bf16-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Configurations() => ["post-norm relu", "pre-norm gelu", "rope", "decoder-only"];

    private static TransformerConfig Config(string name) => name switch
    {
        "pre-norm gelu" => TransformerConfig.Tiny(60) with { Norm = NormPlacement.Pre, Activation = ActivationKind.Gelu },
        "rope" => TransformerConfig.Tiny(60) with { Positional = PositionalKind.Rope, Norm = NormPlacement.Pre },
        "decoder-only" => TransformerConfig.TinyLanguageModel(60),
        _ => TransformerConfig.Tiny(60),
    };

    // Steps of a model in the given precision, each inside an arena that fills every float32 buffer it takes back with
    // NaN: an op that kept reading an activation's float32 memory after its layer packed it would show up as NaN or drift.
    // fused: the trainer's loss (output layer and cross-entropy as one op); otherwise logits, then the loss.
    private static (float[] Losses, float[] Parameters, long PeakBytes) Train(string name, Precision precision, int steps = 8,
        bool fused = true)
    {
        var config = Config(name);
        var model = SequenceModel.Create(config, new Rng(5));
        model.Train();
        var adam = new Adam(model.Parameters(), lr: 2e-3f);
        var arena = new TensorArena { PoisonOnRelease = true };
        var rng = new Rng(6);
        Tensor Tokens(int b, int t) =>
            Tensor.FromArray([.. Enumerable.Range(0, b * t).Select(_ => (float)(4 + rng.NextInt(config.SourceVocab - 4)))], b, t);
        var losses = new List<float>();
        for (int step = 0; step < steps; step++)
        {
            var (source, target, expected) = (Tokens(8, 13), Tokens(8, 12), Tokens(8, 12));
            using (arena.Activate(precision))
            {
                var loss = TensorArena.PackSince(0, fused
                    ? model.TeacherForcedLoss(source, target, expected, labelSmoothing: 0.1f)
                    : CrossEntropy.Loss(TensorArena.PackSince(0, model.TeacherForcedLogits(source, target)), expected,
                        labelSmoothing: 0.1f));
                adam.ZeroGrad();
                loss.Backward();
                adam.Step();
                losses.Add(loss.Item());
            }
        }
        return ([.. losses], [.. model.Parameters().SelectMany(p => p.ToArray())], arena.PeakInUseBytes);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EveryArchitectureTrainsInBf16AsInFloat32(string name) => CompareBf16WithFloat32(name, fused: true);

    [Fact]
    public void LogitsThenTheLossTrainInBf16AsInFloat32() => CompareBf16WithFloat32("post-norm relu", fused: false);

    private static void CompareBf16WithFloat32(string name, bool fused)
    {
        var fp32 = Train(name, Precision.Float32, fused: fused);
        var bf16 = Train(name, Precision.BFloat16, fused: fused);
        Assert.All(bf16.Losses, l => Assert.True(float.IsFinite(l), $"{name}: loss {l}"));
        for (int i = 0; i < fp32.Losses.Length; i++)
            Assert.True(Math.Abs(bf16.Losses[i] - fp32.Losses[i]) <= 0.01 * fp32.Losses[i],
                $"{name}, step {i + 1}: bf16 loss {bf16.Losses[i]} vs float32 {fp32.Losses[i]}");
        Assert.NotEqual(fp32.Losses, bf16.Losses);   // the products did see rounded weights
        Assert.True(bf16.PeakBytes < 0.85 * fp32.PeakBytes,
            $"{name}: peak {bf16.PeakBytes / 1e6:F2} MB in bf16, {fp32.PeakBytes / 1e6:F2} MB in float32");
    }

    [Fact]
    public void MasterWeightsKeepFloat32Precision()
    {
        var bf16 = Train("post-norm relu", Precision.BFloat16, steps: 3);
        int finer = bf16.Parameters.Count(v => (BitConverter.SingleToUInt32Bits(v) & 0xFFFF) != 0);
        Assert.True(finer > bf16.Parameters.Length / 2, $"only {finer} of {bf16.Parameters.Length} weights hold more than bfloat16 bits");
    }

    [Fact]
    public void AGradientThatWaitsPackedIsWidenedWhenUsed()
    {
        // An op whose backward hands on a tensor made in the forward pass, which the bf16 scope packed; its gradient for x
        // waits pending while the path through h is worked off, and is read (widened) only when the two are added.
        var arena = new TensorArena { PoisonOnRelease = true };
        var x = Tensor.FromArray([.. Enumerable.Range(0, 1000).Select(i => i / 1000f)]).RequireGrad();
        using (arena.Activate(Precision.BFloat16))
        {
            var h = x * 3f;
            var ahead = Tensor.Full([1000], 2f) * 1f;   // made in the arena: packed below
            var y = Tensor.Record(Tensor.Scalar(0f), "Ahead", [h, x], _ => [Tensor.Full([1000], 1f) * 1f, ahead]);
            TensorArena.PackSince(0, y).Backward();
        }
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(5f, g));   // 1·3 through h, plus 2
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALinearMultipliesTheRoundedWeightAndItsBackwardReadsWhatWaitsPacked(bool relu)
    {
        // z = 2·f(h·Wᵀ + b), f the identity or ReLU, with h = 1.5·x made in a bf16 scope, and h and the Linear's output
        // packed before the backward pass: the products must be exactly those of float32 operands rounded first (W
        // whenever it is multiplied, h when it waits packed), accumulated in float32; ReLU's mask is the output's sign.
        var rng = new Rng(21);
        int rows = 600, inputs = 70, outputs = 19;   // several K blocks and a partial panel in dW = gᵀ·h
        var x = Tensor.Normal([rows, inputs], rng).RequireGrad();
        var weight = Tensor.Normal([outputs, inputs], rng).RequireGrad();
        var bias = Tensor.Normal([outputs], rng).RequireGrad();
        var g = Tensor.Normal([rows, outputs], rng);
        var arena = new TensorArena { PoisonOnRelease = true };
        float[] y;
        using (arena.Activate(Precision.BFloat16))
        {
            var h = x * 1.5f;
            var output = relu ? h.LinearRelu(weight, bias) : h.Linear(weight, bias);
            y = output.ToArray();
            TensorArena.PackSince(0, output * 2f).Backward(g);   // h and the output wait packed
        }

        float[] Rounded(float[] values) => [.. values.Select(v => BFloat16.ToFloat(BFloat16.FromFloat(v)))];
        float[] Product(bool transA, bool transB, int m, int n, int k, float[] a, float[] b)
        {
            var c = new float[m * n];
            Gemm.Sgemm(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, 0f, c, n);
            return c;
        }
        var hValues = (x.Detach() * 1.5f).ToArray();
        var w = Rounded(weight.ToArray());
        var expectedY = Product(false, true, rows, outputs, inputs, hValues, w);
        for (int i = 0; i < expectedY.Length; i++)
            expectedY[i] = Math.Max(relu ? 0f : float.MinValue, expectedY[i] + bias.ToArray()[i % outputs]);
        Assert.Equal(expectedY, y);
        var dy = g.ToArray().Select((v, i) => relu && !(BFloat16.ToFloat(BFloat16.FromFloat(y[i])) > 0) ? 0f : 2f * v).ToArray();
        Assert.Equal(Product(true, false, outputs, inputs, rows, dy, Rounded(hValues)), weight.Grad!.ToArray());
        Assert.Equal(Product(false, false, rows, inputs, outputs, dy, w).Select(v => v * 1.5f), x.Grad!.ToArray());
    }

    [Fact]
    public void AStepOutsideAnyArenaIsPlainFloat32()
    {
        // Packing and working copies belong to a bf16 arena scope; without one, PackSince changes nothing.
        var x = Tensor.FromArray([1.001f, 2f, 3f]).RequireGrad();
        var y = TensorArena.PackSince(0, x.Mul(x));
        Assert.Equal(1.001f * 1.001f, y.ToArray()[0]);
    }

    private static TrainingRunOptions Run(string directory, string task, Precision precision, int steps) => new()
    {
        Directory = directory, Task = task, Preset = "tiny", VocabSize = 2000, BatchTokens = 1024,
        Training = new TrainingOptions { Steps = steps, Seed = 3, LogEvery = 10, EvalEvery = 0, SaveEvery = 0, Precision = precision },
    };

    private static float[] Losses(string directory) =>
    [
        .. File.ReadAllLines(Path.Combine(directory, MetricsLog.FileName))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("loss").GetSingle()),
    ];

    [Theory]
    [InlineData("copy")]
    [InlineData("bible-en-es")]
    public void ALossCurveStaysWithinTwoPercentOfFloat32Over300Steps(string task)
    {
        string fp32 = Path.Combine(_directory, task + "-fp32"), bf16 = Path.Combine(_directory, task + "-bf16");
        TrainingRun.Start(Run(fp32, task, Precision.Float32, 300)).Run();
        TrainingRun.Start(Run(bf16, task, Precision.BFloat16, 300)).Run();
        var (reference, mixed) = (Losses(fp32), Losses(bf16));
        Assert.Equal(30, reference.Length);
        Assert.True(reference[^1] < 0.85 * reference[0], $"{task}: float32 did not learn ({reference[0]} → {reference[^1]})");
        for (int i = 0; i < reference.Length; i++)
            Assert.True(Math.Abs(mixed[i] - reference[i]) <= 0.02 * reference[i],
                $"{task}, step {10 * (i + 1)}: bf16 loss {mixed[i]} vs float32 {reference[i]}");
    }

    [Fact]
    public void ABf16RunResumesExactly()
    {
        string whole = Path.Combine(_directory, "whole"), broken = Path.Combine(_directory, "broken");
        TrainingRun.Start(Run(whole, "copy", Precision.BFloat16, 40)).Run();
        var first = Run(broken, "copy", Precision.BFloat16, 40);
        TrainingRun.Start(first with { Training = first.Training with { Steps = 20, SaveEvery = 20 } }).Run();
        var resumed = TrainingRun.Start(first with { Training = new TrainingOptions { Precision = Precision.Float32 }, Resume = true,
            ResumeSteps = 40 });   // the checkpoint's own options (bf16) win, as for every setting
        Assert.Equal(Precision.BFloat16, resumed.Options.Precision);
        resumed.Run();
        Assert.Equal(Losses(whole), Losses(broken));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(broken, "model.safetensors")));
    }
}
