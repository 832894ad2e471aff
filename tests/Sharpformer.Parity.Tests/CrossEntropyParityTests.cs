using Sharpformer.Losses;
using Sharpformer.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The fused cross-entropy (log-softmax + NLL, label smoothing, ignored targets) against
/// torch.nn.functional.cross_entropy computed in float64: the loss and the gradient of the logits.
/// </summary>
public class CrossEntropyParityTests(ITestOutputHelper output)
{
    /// <summary>Which targets are ignored in a case.</summary>
    public enum Ignored
    {
        /// <summary>ignore_index −100 (torch's default) and no target equal to it.</summary>
        None,
        /// <summary>
        /// ignore_index 0: padding id 0 present in about a quarter of the targets (0 is also a real class of
        /// the logits).
        /// </summary>
        Padding,
        /// <summary>ignore_index −100 present in about a quarter of the targets.</summary>
        Default,
    }

    public static TheoryData<int[], float, Ignored, int> Cases()
    {
        var data = new TheoryData<int[], float, Ignored, int>();
        foreach (int[] shape in new[] { new[] { 7, 5 }, new[] { 3, 4, 6 } })
            foreach (float smoothing in new[] { 0f, 0.1f, 0.3f })
                foreach (var ignored in Enum.GetValues<Ignored>())
                    foreach (int seed in new[] { 1, 2, 3 })
                        data.Add(shape, smoothing, ignored, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradientMatchTorch(int[] shape, float smoothing, Ignored ignored, int seed) =>
        Check(shape, smoothing, ignored, seed, logitRange: 3f);

    /// <summary>A vocabulary-sized class count with large logits: the log-softmax must stay stable.</summary>
    [Theory]
    [InlineData(0f, 1)]
    [InlineData(0.1f, 2)]
    public void LargeVocabularyAndLargeLogits(float smoothing, int seed) =>
        Check([2, 8, 1000], smoothing, Ignored.Padding, seed, logitRange: 40f);

    /// <summary>Every target ignored: the mean over no tokens is NaN in torch, and must be in ours too.</summary>
    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void AllTargetsIgnoredGivesNaN(float smoothing)
    {
        using var scope = torch.NewDisposeScope();
        float[] logits = RandomFloats(9, 12);
        var loss = CrossEntropy.Loss(Tensor.FromArray(logits, 3, 4), Tensor.FromArray(new float[3], 3), ignoreIndex: 0,
            labelSmoothing: smoothing);
        var expected = torch.nn.functional.cross_entropy(ToTorch(logits, [3, 4], float64: true), ToTorch(new long[3], [3]),
            ignore_index: 0, label_smoothing: smoothing);
        Assert.True(double.IsNaN(expected.item<double>()));
        Assert.True(float.IsNaN(loss.Item()));
    }

    /// <summary>
    /// Random logits in ±<paramref name="logitRange"/> of <paramref name="shape"/> ([N, C] or [B, T, C]) and
    /// random targets; ours gets them as they are, torch as [N, C] or permuted to [B, C, T] (its class
    /// dimension is 1). Loss: |Δ| ≤ 1e-6·max(1, |loss|). Gradient: |Δ| ≤ 1e-5·max|∇| per element (the
    /// gradients are (softmax − q)/count, so their scale is 1/count, not 1).
    /// </summary>
    void Check(int[] shape, float smoothing, Ignored ignored, int seed, float logitRange)
    {
        using var scope = torch.NewDisposeScope();
        string what = $"cross entropy {ShapeText(shape)}, label smoothing {smoothing}, ignored {ignored} (seed {seed})";
        int classes = shape[^1];
        int[] targetShape = shape[..^1];
        int ignoreIndex = ignored == Ignored.Padding ? 0 : -100;
        var rng = new Random(seed * 31 + classes);
        var targets = new long[Count(targetShape)];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = ignored != Ignored.None && rng.Next(4) == 0 ? ignoreIndex : rng.Next(classes);
        if (ignored != Ignored.None) targets[1] = ignoreIndex; // at least one ignored
        if (targets.All(t => t == ignoreIndex)) targets[0] = classes - 1;
        float[] logits = RandomFloats(seed * 1000 + classes, Count(shape), -logitRange, logitRange);

        var x = Tensor.FromArray(logits, shape).RequireGrad();
        var loss = CrossEntropy.Loss(x, Tensor.FromArray(targets.Select(t => (float)t).ToArray(), targetShape), ignoreIndex, smoothing);
        loss.Backward();

        var tx = ToTorch(logits, shape, float64: true, requiresGrad: true);
        var input = shape.Length == 3 ? tx.permute(0, 2, 1) : tx;
        var expected = torch.nn.functional.cross_entropy(input, ToTorch(targets, targetShape), ignore_index: ignoreIndex,
            label_smoothing: smoothing);
        expected.backward();

        double expectedLoss = expected.item<double>();
        double lossError = Math.Abs(loss.Item() - expectedLoss);
        Assert.True(lossError <= 1e-6 * Math.Max(1, Math.Abs(expectedLoss)),
            $"{what}: loss {loss.Item():G9}, torch {expectedLoss:G9} (|Δ| {lossError:G3})");

        double[] expectedGrad = ToDoubles(tx.grad!);
        float[] actualGrad = (x.Grad ?? throw new Xunit.Sdk.XunitException($"{what}: no gradient")).ToArray();
        double gradScale = expectedGrad.Max(Math.Abs);
        AssertClose(expectedGrad, actualGrad, 0, 1e-5 * gradScale, $"{what}: gradient of the logits", shape);
        double gradError = expectedGrad.Select((e, i) => Math.Abs(actualGrad[i] - e)).Max() / gradScale;
        output.WriteLine($"{what}: loss |Δ| {lossError:G3} (loss {expectedLoss:G6}), gradient max |Δ| / max|∇| {gradError:G3}");
    }

    static string ShapeText(int[] shape) => $"[{string.Join(", ", shape)}]";
}
