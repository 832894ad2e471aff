using Sharpformer.Autograd;
using Sharpformer.Optim;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Optim;

public class OptimizerTests
{
    private static Tensor WithGrad(float[] values, float[] grad)
    {
        var p = Tensor.FromArray(values).RequireGrad();
        (p * Tensor.FromArray(grad)).Sum().Backward();
        return p;
    }

    [Fact]
    public void AdamFirstStepMovesByTheLearningRateAgainstTheGradientSign()
    {
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + ε).
        var p = WithGrad([1f, 2f, -3f], [0.5f, -4f, 1e-3f]);
        var adam = new Adam([p], lr: 0.1f);
        adam.Step();
        var values = p.ToArray();
        Assert.Equal(0.9f, values[0], 5);
        Assert.Equal(2.1f, values[1], 5);
        Assert.Equal(-3.1f, values[2], 4);
    }

    [Fact]
    public void AdamOnALargeParameterMatchesTheRecurrenceElementByElement()
    {
        // 150,001 elements: several slices of parallel work plus a ragged end (vector and scalar tails).
        const int n = 150_001;
        var rng = new Rng(9);
        var p0 = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var g = Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        var p = WithGrad(p0, g);
        var adam = Adam.AdamW([new ParameterGroup([p])], lr: 0.01f, weightDecay: 0.1f);
        for (int step = 0; step < 3; step++) adam.Step();   // the same gradient each step
        var actual = p.ToArray();
        for (int i = 0; i < n; i += 997)
        {
            double x = p0[i], m = 0, v = 0;
            for (int t = 1; t <= 3; t++)
            {
                x *= 1 - 0.01 * 0.1;
                m = 0.9 * m + 0.1 * g[i];
                v = 0.999 * v + 0.001 * g[i] * g[i];
                x -= 0.01 * (m / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v / (1 - Math.Pow(0.999, t))) + 1e-8);
            }
            Assert.Equal(x, actual[i], 5);
        }
    }

    [Fact]
    public void AdamWDecaysTheParameterDirectly()
    {
        var p = WithGrad([2f], [0f]);
        var adamw = Adam.AdamW([new ParameterGroup([p])], lr: 0.1f, weightDecay: 0.5f);
        adamw.Step();
        Assert.Equal(2f * (1 - 0.1f * 0.5f), p[0], 6); // zero gradient: only the decay acts
        var q = WithGrad([2f], [0f]);
        var noDecay = Adam.AdamW([new ParameterGroup([q], weightDecay: 0f)], lr: 0.1f, weightDecay: 0.5f);
        noDecay.Step();
        Assert.Equal(2f, q[0]);
    }

    [Fact]
    public void SgdMomentumFollowsTheRecurrence()
    {
        var p = WithGrad([0f], [1f]);
        var sgd = new Sgd([p], lr: 0.1f, momentum: 0.9f);
        sgd.Step();                      // b = 1, p = −0.1
        sgd.Step();                      // b = 0.9 + 1 = 1.9, p = −0.29 (same gradient kept)
        Assert.Equal(-0.29f, p[0], 6);
    }

    [Fact]
    public void OptimizerStateRoundTrips()
    {
        var a = WithGrad([1f, 2f], [0.3f, -0.2f]);
        var b = WithGrad([1f, 2f], [0.3f, -0.2f]);
        var first = new Adam([a], lr: 0.01f);
        first.Step();
        first.Step();
        var second = new Adam([b], lr: 0.01f);
        second.LoadState(first.SaveState().ToDictionary(), first.StepCount);
        using (GradMode.NoGrad()) b.AddInPlace(Tensor.FromArray(a.ToArray()) - b);
        first.Step();
        second.Step();
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void ClippingScalesToTheMaximumNormAndReturnsTheOriginal()
    {
        var x = WithGrad([0f, 0f], [3f, 0f]);
        var y = WithGrad([0f], [4f]);
        float norm = GradientClipping.ClipByGlobalNorm([x, y], 1f);
        Assert.Equal(5f, norm, 6);
        Assert.Equal(0.6f, x.Grad![0], 5);
        Assert.Equal(0.8f, y.Grad![0], 5);
        Assert.Equal(1f, GradientClipping.ClipByGlobalNorm([x, y], 10f), 5); // under the limit: unchanged
        Assert.Equal(0.6f, x.Grad![0], 5);
    }

    [Fact]
    public void SchedulesAtTheirBoundaries()
    {
        var noam = LearningRateSchedule.Noam(dModel: 512, warmup: 4000);
        float peak = 1f / MathF.Sqrt(512) / MathF.Sqrt(4000);
        Assert.Equal(peak / 4000, noam.At(0), 9);            // t = 1
        Assert.Equal(peak, noam.At(3999), 9);                 // t = warmup: the peak
        Assert.Equal(peak * MathF.Sqrt(4000f / 16000), noam.At(15999), 9); // inverse square root afterwards
        Assert.True(noam.At(3998) < noam.At(3999) && noam.At(4000) < noam.At(3999));

        var cosine = LearningRateSchedule.WarmupCosine(peak: 1e-3f, warmup: 10, totalSteps: 110, floor: 1e-5f);
        Assert.Equal(1e-4f, cosine.At(0), 9);
        Assert.Equal(1e-3f, cosine.At(9), 9);                 // last warmup step reaches the peak
        Assert.Equal(1e-3f, cosine.At(10), 9);                // decay starts from the peak
        Assert.Equal((1e-3f + 1e-5f) / 2, cosine.At(60), 7);  // halfway: the midpoint
        Assert.Equal(1e-5f, cosine.At(110), 9);               // end: the floor
        Assert.Equal(1e-5f, cosine.At(500), 9);               // and it stays there

        var linear = LearningRateSchedule.WarmupLinear(peak: 2f, warmup: 0, totalSteps: 4);
        Assert.Equal([2f, 1.5f, 1f, 0.5f, 0f], Enumerable.Range(0, 5).Select(linear.At).ToArray());
        Assert.Equal(0.3f, LearningRateSchedule.Constant(0.3f).At(12345));
    }
}
