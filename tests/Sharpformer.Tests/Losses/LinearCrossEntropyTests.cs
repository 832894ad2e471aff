using Sharpformer.Autograd;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Tests.Losses;

/// <summary>The output layer and cross-entropy as one op, block by block, against the two ops it replaces.</summary>
public class LinearCrossEntropyTests
{
    // 37 rows of d = 12 over 50 classes, a fifth of the targets ignored (id 0).
    private static (Tensor Hidden, Tensor Weight, Tensor Bias, Tensor Targets) Problem(int seed)
    {
        var rng = new Rng((ulong)seed);
        var hidden = (Tensor.Normal([37, 12], rng) * 2f).RequireGrad();
        var weight = (Tensor.Normal([50, 12], rng) * 0.5f).RequireGrad();
        var bias = Tensor.Normal([50], rng).RequireGrad();
        var targets = Tensor.FromArray([.. Enumerable.Range(0, 37).Select(i => i % 5 == 2 ? 0f : 1 + rng.NextInt(49))]);
        return (hidden, weight, bias, targets);
    }

    private static float[][] Gradients(params Tensor[] inputs) => [.. inputs.Select(t => t.Grad!.ToArray())];

    [Theory]
    [InlineData(1, 0f, true)]
    [InlineData(5, 0.1f, true)]
    [InlineData(16, 0.1f, false)]
    [InlineData(64, 0f, true)]   // one block holds every row
    public void EqualsTheLinearLayerFollowedByTheLoss(int blockRows, float smoothing, bool withBias)
    {
        var (h, w, b, targets) = Problem(blockRows);
        var bias = withBias ? b : null;
        var reference = CrossEntropy.Loss(h.Linear(w, bias), targets, ignoreIndex: 0, labelSmoothing: smoothing);
        reference.Backward();
        var expected = withBias ? Gradients(h, w, b) : Gradients(h, w);
        foreach (var t in new[] { h, w, b }) t.ZeroGrad();

        var fused = CrossEntropy.LinearLoss(h, w, bias, targets, 0, smoothing, blockRows);
        fused.Backward();
        var actual = withBias ? Gradients(h, w, b) : Gradients(h, w);

        Assert.Equal(reference.Item(), fused.Item(), 1e-5f * Math.Abs(reference.Item()));
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = expected[i].Max(Math.Abs);
            Assert.True(scale > 0);
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(actual[i][j] - expected[i][j]) <= 1e-5f * scale,
                    $"input {i}, element {j}: fused {actual[i][j]}, two ops {expected[i][j]}");
        }
        Assert.All(Enumerable.Range(0, 12), c => Assert.Equal(0f, h.Grad![2, c]));   // row 2's target is ignored
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void GradientCheck(float smoothing)
    {
        var (h, w, b, targets) = Problem(3);
        var result = GradCheck.Run(x => CrossEntropy.LinearLoss(x[0], x[1], x[2], targets, 0, smoothing, blockRows: 8),
            [h.Detach().RequireGrad(), w.Detach().RequireGrad(), b.Detach().RequireGrad()]);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void AnUpstreamGradientScalesTheGradientsEachTime()
    {
        var (h, w, b, targets) = Problem(4);
        var loss = CrossEntropy.LinearLoss(h, w, b, targets, ignoreIndex: 0);
        loss.Backward();
        var once = Gradients(h, w, b);
        foreach (var t in new[] { h, w, b }) t.ZeroGrad();
        (loss * 0.25f).Backward();
        var quarter = Gradients(h, w, b);
        (loss * 0.25f).Backward();   // the graph is kept: a second pass adds the same again
        var twice = Gradients(h, w, b);
        for (int i = 0; i < once.Length; i++)
            for (int j = 0; j < once[i].Length; j++)
            {
                Assert.Equal(once[i][j] * 0.25f, quarter[i][j], 1e-7f);
                Assert.Equal(2 * quarter[i][j], twice[i][j], 1e-7f);
            }
    }

    [Fact]
    public void WithoutGradientsItOnlyComputesTheLoss()
    {
        var (h, w, b, targets) = Problem(5);
        float expected = CrossEntropy.Loss(h.Linear(w, b), targets, ignoreIndex: 0).Item();
        using (GradMode.NoGrad())
        {
            var loss = CrossEntropy.LinearLoss(h, w, b, targets, ignoreIndex: 0);
            Assert.False(loss.RequiresGrad);
            Assert.Equal(expected, loss.Item(), 1e-5f * expected);
        }
        var allIgnored = CrossEntropy.LinearLoss(h, w, b, Tensor.Zeros(37), ignoreIndex: 0);
        Assert.True(float.IsNaN(allIgnored.Item()));   // a mean over no targets, as the two ops give
    }

    [Fact]
    public void BadShapesAndTargetsAreRejected()
    {
        var (h, w, b, targets) = Problem(6);
        var e = Assert.Throws<ShapeMismatchException>(() => CrossEntropy.LinearLoss(h, w.Narrow(1, 0, 11), b, targets));
        Assert.Contains("[50, 11]", e.Message);
        Assert.Throws<ShapeMismatchException>(() => CrossEntropy.LinearLoss(h, w, b.Narrow(0, 0, 49), targets));
        Assert.Throws<ShapeMismatchException>(() => CrossEntropy.LinearLoss(h, w, b, targets.Narrow(0, 0, 36)));
        Assert.Throws<IndexOutOfRangeException>(() => CrossEntropy.LinearLoss(h, w, b, Tensor.Full([37], 50f)));
    }

    public static TheoryData<string> Models() =>
        ["transformer", "language model", "vocabulary adapter", "vocabulary adapter with dropout"];

    [Theory]
    [MemberData(nameof(Models))]
    public void AModelsTeacherForcedLossIsTheLossOfItsLogits(string kind)
    {
        // Two identical models (the adapter's dropout draws the same masks in each): one through the two ops, one fused.
        SequenceModel Build()
        {
            var config = kind == "language model" ? TransformerConfig.TinyLanguageModel(40) : TransformerConfig.Tiny(40);
            var model = SequenceModel.Create(config with { Dropout = 0f }, new Rng(7));
            if (kind.StartsWith("vocabulary adapter", StringComparison.Ordinal))
            {
                float dropout = kind.EndsWith("dropout", StringComparison.Ordinal) ? 0.3f : 0f;
                model.AddLora(new LoraOptions { Rank = 2, Dropout = dropout, Targets = LoraTargets.Embedding }, new Rng(8));
                var noise = new Rng(11);   // B ≠ 0 (the adapter counts), and not constant (some gradients would cancel to 0)
                foreach (var p in model.Parameters().Where(p => p.RequiresGrad))
                    p.CopyFrom(p + Tensor.Normal(p.ShapeArray(), noise) * 0.1f);
            }
            return model;
        }
        var rng = new Rng(9);
        Tensor Tokens() => Tensor.FromArray([.. Enumerable.Range(0, 3 * 6).Select(i => i % 7 == 3 ? 0f : 4 + rng.NextInt(36))], 3, 6);
        var (source, target, expected) = (Tokens(), Tokens(), Tokens());
        var (twoOps, fused) = (Build(), Build());
        Tensor[] Trained(SequenceModel model) => [.. model.Parameters().Where(p => p.RequiresGrad)];

        var reference = CrossEntropy.Loss(twoOps.TeacherForcedLogits(source, target), expected, ignoreIndex: 0, labelSmoothing: 0.1f);
        reference.Backward();
        var loss = fused.TeacherForcedLoss(source, target, expected, labelSmoothing: 0.1f);
        loss.Backward();

        Assert.Equal("LinearCrossEntropy", loss.GradFn!.Name);   // the adapted output layer is fused too
        Assert.Equal(reference.Item(), loss.Item(), 1e-5f * reference.Item());
        var (expectedGrads, actualGrads) = (Trained(twoOps), Trained(fused));
        Assert.Equal(expectedGrads.Length, actualGrads.Length);
        for (int i = 0; i < expectedGrads.Length; i++)
        {
            var (want, got) = (expectedGrads[i].Grad!.ToArray(), actualGrads[i].Grad!.ToArray());
            float scale = Math.Max(want.Max(Math.Abs), 1e-6f);
            Assert.All(got.Select((g, j) => Math.Abs(g - want[j])), d => Assert.True(d <= 1e-4f * scale, $"{kind}: {i}, {d} / {scale}"));
        }
    }

    [Fact]
    public void ItNeverHoldsTheLogitsOrTheirGradient()
    {
        // 256 rows over a 4,000-word vocabulary: logits and their gradient are 4 MB each; the fused loss needs neither.
        var rng = new Rng(10);
        var hidden = Tensor.Normal([256, 32], rng).RequireGrad();
        var weight = (Tensor.Normal([4000, 32], rng) * 0.1f).RequireGrad();
        var targets = Tensor.FromArray([.. Enumerable.Range(0, 256).Select(_ => (float)rng.NextInt(4000))]);
        long Peak(Func<Tensor> loss)
        {
            var arena = new TensorArena { PoisonOnRelease = true };
            using (arena.Activate()) loss().Backward();
            return arena.PeakInUseBytes;
        }
        long twoOps = Peak(() => CrossEntropy.Loss(hidden.Linear(weight, null), targets));
        long fused = Peak(() => CrossEntropy.LinearLoss(hidden, weight, null, targets));
        long logits = 256L * 4000 * sizeof(float);
        Assert.True(fused + logits <= twoOps, $"fused peak {fused} bytes, two ops {twoOps} bytes, logits {logits} bytes");
    }
}
