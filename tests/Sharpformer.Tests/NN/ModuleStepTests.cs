using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

/// <summary>
/// The public one-position steps of attention, encoder layers and stacks give, position by position, what
/// the full forward pass gives at that position (causal self-attention; cross-attention over a padded memory).
/// </summary>
public class ModuleStepTests
{
    private const int Rows = 2, Length = 5, Width = 12, Heads = 3, Hidden = 20;

    private static void AssertStepsMatch(Tensor full, Func<Tensor, int, Tensor> step, Tensor x)
    {
        for (int t = 0; t < Length; t++)
        {
            var got = step(x.Narrow(1, t, 1), t).ToArray();
            var expected = full.Narrow(1, t, 1).ToArray();
            Assert.Equal(expected.Length, got.Length);
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])),
                    $"position {t}, element {i}: {got[i]} vs {expected[i]}");
        }
    }

    private static (Rng Rng, Tensor X, Tensor Memory, AttentionMask MemoryMask) Inputs()
    {
        var rng = new Rng(33);
        var x = Tensor.Normal([Rows, Length, Width], rng);
        var memory = Tensor.Normal([Rows, 4, Width], rng);
        var memoryMask = AttentionMask.KeyPadding(Tensor.FromArray([5, 6, 7, 8, 5, 6, 0, 0], Rows, 4), padId: 0);
        return (rng, x, memory, memoryMask);
    }

    [Fact]
    public void AttentionStepsMatchTheFullForward()
    {
        var (rng, x, memory, memoryMask) = Inputs();
        var attention = new MultiHeadAttention(Width, Heads, 0.1f, rng);
        attention.Eval();
        using var _ = GradMode.NoGrad();
        var self = new AttentionCache();
        AssertStepsMatch(attention.Forward(x, x, x, AttentionMask.Causal(Length)).Output,
            (xt, _) => attention.ForwardSelfStep(xt, self), x);
        var cross = new AttentionCache();
        AssertStepsMatch(attention.Forward(x, memory, memory, memoryMask).Output,
            (xt, _) => attention.ForwardCrossStep(xt, memory, cross, memoryMask), x);
        Assert.Equal((Length, 4), (self.Length, cross.Length));
    }

    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void EncoderStepsOfACausalStackMatchTheFullForward(NormPlacement norm)
    {
        var (rng, x, _, _) = Inputs();
        var layers = Enumerable.Range(0, 2)
            .Select(_ => new EncoderLayer(Width, Heads, Hidden, 0.1f, ActivationKind.Relu, norm, rng)).ToList();
        var encoder = new Encoder(layers, norm == NormPlacement.Pre ? new LayerNorm(Width) : null);
        encoder.Eval();
        using var _ = GradMode.NoGrad();
        var layerCache = new AttentionCache();
        AssertStepsMatch(layers[0].Forward(x, AttentionMask.Causal(Length)).Output,
            (xt, _) => layers[0].ForwardStep(xt, layerCache), x);
        var cache = new KeyValueCache(layers: 2);
        AssertStepsMatch(encoder.Forward(x, AttentionMask.Causal(Length)), (xt, _) => encoder.ForwardStep(xt, cache), x);
    }

    [Fact]
    public void DecoderStackStepsMatchTheFullForward()
    {
        var (rng, x, memory, memoryMask) = Inputs();
        var layers = Enumerable.Range(0, 2)
            .Select(_ => new DecoderLayer(Width, Heads, Hidden, 0.1f, ActivationKind.Gelu, NormPlacement.Pre, rng)).ToList();
        var decoder = new Decoder(layers, new LayerNorm(Width));
        decoder.Eval();
        using var _ = GradMode.NoGrad();
        var cache = new KeyValueCache(layers: 2);
        AssertStepsMatch(decoder.Forward(x, memory, AttentionMask.Causal(Length), memoryMask),
            (xt, _) => decoder.ForwardStep(xt, memory, cache, memoryMask), x);
    }

    [Fact]
    public void StepsRefuseATrainingModule()
    {
        var (rng, x, _, _) = Inputs();
        var attention = new MultiHeadAttention(Width, Heads, 0.1f, rng);
        Assert.Throws<InvalidOperationException>(() => attention.ForwardSelfStep(x.Narrow(1, 0, 1), new AttentionCache()));
    }
}
