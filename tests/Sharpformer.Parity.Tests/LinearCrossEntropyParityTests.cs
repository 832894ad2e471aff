using Sharpformer.Losses;
using Sharpformer.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The fused output layer and cross-entropy (<see cref="CrossEntropy.LinearLoss(Tensor, Tensor, Tensor?, Tensor, int, float)"/>)
/// against torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, W, b), t) in float64: the loss and the
/// gradients of h, W and b, with blocks of rows that do and do not divide the row count.
/// </summary>
public class LinearCrossEntropyParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(new[] { 23, 16 }, 40, 0f, true, 7)]
    [InlineData(new[] { 23, 16 }, 40, 0.1f, false, 64)]
    [InlineData(new[] { 4, 9, 32 }, 300, 0.1f, true, 10)]
    [InlineData(new[] { 4, 9, 32 }, 300, 0.3f, true, 36)]
    public void LossAndGradientsMatchTorch(int[] hiddenShape, int classes, float smoothing, bool withBias, int blockRows)
    {
        using var scope = torch.NewDisposeScope();
        string what = $"linear cross entropy h {ShapeText(hiddenShape)}, {classes} classes, smoothing {smoothing}, " +
                      $"bias {withBias}, blocks of {blockRows} rows";
        int d = hiddenShape[^1];
        int[] targetShape = hiddenShape[..^1];
        var rng = new Random(classes + blockRows);
        var targets = new long[Count(targetShape)];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.Next(5) == 0 ? 0 : 1 + rng.Next(classes - 1);   // 0: padding
        float[] h = RandomFloats(1, Count(hiddenShape), -2f, 2f), w = RandomFloats(2, classes * d, -0.5f, 0.5f);
        float[] b = RandomFloats(3, classes);

        var (xh, xw, xb) = (Tensor.FromArray(h, hiddenShape).RequireGrad(), Tensor.FromArray(w, classes, d).RequireGrad(),
            Tensor.FromArray(b, classes).RequireGrad());
        var loss = CrossEntropy.LinearLoss(xh, xw, withBias ? xb : null,
            Tensor.FromArray([.. targets.Select(t => (float)t)], targetShape), 0, smoothing, blockRows);
        loss.Backward();

        var (th, tw, tb) = (ToTorch(h, hiddenShape, float64: true, requiresGrad: true),
            ToTorch(w, [classes, d], float64: true, requiresGrad: true), ToTorch(b, [classes], float64: true, requiresGrad: true));
        var logits = torch.nn.functional.linear(th, tw, withBias ? tb : null).reshape(-1, classes);
        var expected = torch.nn.functional.cross_entropy(logits, ToTorch(targets, [targets.Length]), ignore_index: 0,
            label_smoothing: smoothing);
        expected.backward();

        double expectedLoss = expected.item<double>(), lossError = Math.Abs(loss.Item() - expectedLoss);
        Assert.True(lossError <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)),
            $"{what}: loss {loss.Item():G9}, torch {expectedLoss:G9} (|Δ| {lossError:G3})");
        var report = $"{what}: loss |Δ| {lossError:G3}";
        foreach (var (name, ours, theirs) in new[] { ("h", xh, th), ("W", xw, tw), ("b", xb, tb) })
        {
            if (name == "b" && !withBias) continue;
            double[] expectedGrad = ToDoubles(theirs.grad!);
            float[] actual = ours.Grad!.ToArray();
            double scale = expectedGrad.Max(Math.Abs);
            AssertClose(expectedGrad, actual, 0, 1e-5 * scale, $"{what}: gradient of {name}");
            report += $", ∇{name} max |Δ| / max|∇| {expectedGrad.Select((e, i) => Math.Abs(actual[i] - e)).Max() / scale:G3}";
        }
        output.WriteLine(report);
    }

    static string ShapeText(int[] shape) => $"[{string.Join(", ", shape)}]";
}
