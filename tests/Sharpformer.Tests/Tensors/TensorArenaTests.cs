using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

public class TensorArenaTests
{
    [Theory]
    [InlineData(64, 64)]
    [InlineData(65, 80)]
    [InlineData(100, 112)]
    [InlineData(1024, 1024)]
    [InlineData(1025, 1280)]
    [InlineData(1_000_000, 1_048_576)]
    public void SizeClassesWasteAtMostAQuarter(int length, int expected)
    {
        int size = TensorArena.SizeClass(length);
        Assert.Equal(expected, size);
        Assert.True(size >= length && size <= length * 1.25);
    }

    [Fact]
    public void BuffersAreReusedAfterTheScopeAndFreshOnesAreZero()
    {
        var arena = new TensorArena();
        float[] first;
        using (arena.Activate())
        {
            var t = Tensor.Ones(300).Add(1f);   // the result comes from the arena
            first = t.Storage;
            Assert.Equal(2f, t[0]);
        }
        long retained = arena.RetainedBytes;
        using (arena.Activate())
        {
            var z = Tensor.Allocate([300]);
            Assert.Same(first, z.Storage);
            Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.Equal(retained, arena.RetainedBytes);
        arena.Trim();
        Assert.Equal(0, arena.RetainedBytes);
    }

    [Fact]
    public void ASmallerRequestBorrowsAFreeBufferUpToTwiceItsSizeInsteadOfGrowing()
    {
        var arena = new TensorArena();
        using (arena.Activate())
        {
            Tensor.Allocate([1000]).Storage.AsSpan().Fill(3f);
            Tensor.Allocate([5000]).Storage.AsSpan().Fill(3f);
        }
        long retained = arena.RetainedBytes;
        using (arena.Activate())
        {
            var a = Tensor.Allocate([600]);     // a class never seen (640): lent the 1,024-float buffer, zeroed
            Assert.Equal(1024, a.Storage.Length);
            Assert.All(a.ToArray(), v => Assert.Equal(0f, v));
            Assert.Equal(retained, arena.RetainedBytes);
            var b = Tensor.Allocate([700]);     // 768: the 5,120-float buffer is more than twice that, so the arena grows
            Assert.Equal(768, b.Storage.Length);
            Assert.True(arena.RetainedBytes > retained);
            var c = Tensor.Allocate([3000]);    // 3,072: lent the 5,120-float one
            Assert.Equal(5120, c.Storage.Length);
        }
    }

    [Fact]
    public void WithoutAnActiveArenaTensorsOwnTheirMemory()
    {
        var a = Tensor.Ones(500).Add(1f);
        var b = Tensor.Ones(500).Add(1f);
        Assert.NotSame(a.Storage, b.Storage);
    }

    [Fact]
    public void AnArenaCannotBeActivatedTwice()
    {
        var arena = new TensorArena();
        using (arena.Activate())
            Assert.Throws<InvalidOperationException>(() => arena.Activate());
    }

    // Trains a small model for a few steps, optionally with each step inside an arena that poisons
    // released buffers with NaN: if any tensor outlived its step (a gradient, an optimizer moment, a
    // cached module buffer), the poisoned run would diverge from the plain one.
    private static (float[] Losses, float[] Parameters) Train(TensorArena? arena, bool large = false)
    {
        var config = large
            ? new TransformerConfig { SourceVocab = 300, TargetVocab = 300, DModel = 128, Heads = 4, DimFeedForward = 512,
                EncoderLayers = 1, DecoderLayers = 1 }
            : TransformerConfig.Tiny(40) with { Dropout = 0.1f };
        var model = new Transformer(config, new Rng(5));
        model.Train();
        var adam = new Adam(model.Parameters(), lr: 1e-3f);
        var rng = new Rng(6);
        Tensor Tokens(int b, int t) =>
            Tensor.FromArray([.. Enumerable.Range(0, b * t).Select(_ => (float)(4 + rng.NextInt(config.SourceVocab - 4)))], b, t);
        var losses = new List<float>();
        for (int step = 0; step < (large ? 3 : 6); step++)
        {
            int b = (large ? 16 : 3) + step % 2, t = (large ? 32 : 5) + step % 3;   // shapes change from step to step
            var (source, target, expected) = (Tokens(b, t + 1), Tokens(b, t), Tokens(b, t));
            TensorArena.Scope? scope = arena?.Activate();
            try
            {
                var loss = CrossEntropy.Loss(model.Forward(source, target), expected, ignoreIndex: 0, labelSmoothing: 0.1f);
                adam.ZeroGrad();
                loss.Backward();
                GradientClipping.ClipByGlobalNorm(model.Parameters(), 1f);
                adam.Step();
                losses.Add(loss.Item());
            }
            finally
            {
                scope?.Dispose();
            }
        }
        return ([.. losses], [.. model.Parameters().SelectMany(p => p.ToArray())]);
    }

    [Fact]
    public void TrainingInAPoisonedArenaMatchesTrainingWithoutOne()
    {
        var plain = Train(null);
        var pooled = Train(new TensorArena { PoisonOnRelease = true });
        Assert.All(plain.Losses, l => Assert.True(float.IsFinite(l)));
        Assert.Equal(plain.Losses, pooled.Losses);
        Assert.Equal(plain.Parameters, pooled.Parameters);
    }

    [Fact]
    public void TrainingGivesTheSameBitsOnOneAndTwoThreads()
    {
        // Large enough that the GEMMs, elementwise ops, attention, layer norm, cross-entropy and Adam all split their work.
        int saved = Sharpformer.Kernels.Parallelism.Threads;
        try
        {
            Sharpformer.Kernels.Parallelism.Threads = 1;
            var one = Train(new TensorArena(), large: true);
            Sharpformer.Kernels.Parallelism.Threads = 2;
            var two = Train(new TensorArena(), large: true);
            Assert.Equal(one.Losses, two.Losses);
            Assert.Equal(one.Parameters, two.Parameters);
        }
        finally
        {
            Sharpformer.Kernels.Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void ZeroGradThenBackwardGivesTheNewGradientOnly()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]).RequireGrad();
        (x * 2f).Sum().Backward();
        (x * 2f).Sum().Backward();
        Assert.Equal([4f, 4f, 4f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * x).Sum().Backward();
        Assert.Equal([2f, 4f, 6f], x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAreNotTakenFromTheArena()
    {
        var arena = new TensorArena { PoisonOnRelease = true };
        var x = Tensor.FromArray([1f, 2f, 3f]).RequireGrad();
        using (arena.Activate())
            (x * 3f).Sum().Backward();
        Assert.Equal([3f, 3f, 3f], x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardGivesGradientBuffersBackAsSoonAsTheyAreUsed()
    {
        // 20 chained ops: the forward pass keeps 20 buffers; a backward pass that kept every gradient
        // would add 20 more, one that frees each gradient once consumed needs only a couple.
        var arena = new TensorArena { PoisonOnRelease = true };
        var x = Tensor.Ones(1000).RequireGrad();
        using (arena.Activate())
        {
            var y = x;
            for (int i = 0; i < 20; i++) y = y.Mul(Tensor.Full([1000], 1.1f));
            y.Sum().Backward();
        }
        Assert.Equal(Math.Pow(1.1, 20), x.Grad!.ToArray()[0], 4);
        long buffer = TensorArena.SizeClass(1000) * sizeof(float);
        Assert.InRange(arena.RetainedBytes, 20 * buffer, 25 * buffer);
    }

    [Fact]
    public void BackwardGivesEachNodesScratchBackWhenTheNodeIsDone()
    {
        // 12 chained LinearRelu ops: each backward node rents a masked copy of its gradient as scratch. Kept to the scope's
        // end, the scratch would add 12 buffers to the peak; given back after each node, the peak stays near the forward's.
        var arena = new TensorArena { PoisonOnRelease = true };
        var weight = Tensor.FromArray([.. Enumerable.Range(0, 64 * 64).Select(i => (i % 7 - 3) / 40f)], 64, 64).RequireGrad();
        var x = Tensor.FromArray([.. Enumerable.Range(0, 256 * 64).Select(i => (i % 5 + 1) / 10f)], 256, 64).RequireGrad();
        long forwardBytes;
        using (arena.Activate())
        {
            var y = x;
            for (int i = 0; i < 12; i++) y = y.LinearRelu(weight, null);
            forwardBytes = arena.PeakInUseBytes;
            y.Sum().Backward();
        }
        long buffer = TensorArena.SizeClass(256 * 64) * sizeof(float);
        Assert.True(arena.PeakInUseBytes <= forwardBytes + 4 * buffer,
            $"peak {arena.PeakInUseBytes} bytes, forward {forwardBytes} bytes, one activation {buffer} bytes");
        Assert.All(x.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
        var plainX = x.Detach().RequireGrad();
        var plainY = plainX;
        for (int i = 0; i < 12; i++) plainY = plainY.LinearRelu(weight.Detach(), null);
        plainY.Sum().Backward();
        Assert.Equal(plainX.Grad!.ToArray(), x.Grad!.ToArray());
    }
}
