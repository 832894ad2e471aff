using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

/// <summary>Finite-difference checks of the fused ops and of whole modules (inputs and every parameter).</summary>
public class NNGradCheckTests
{
    private static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.Report);
    }

    // Deep stacks of layer norms over few features are strongly curved: a smaller step keeps the
    // central difference's truncation error under the tolerance (1e-2 fails by 4×, 3e-3 passes at 0.4×).
    private static void CheckModule(Module module, Func<Tensor> forward)
    {
        var parameters = module.Parameters().ToArray();
        var result = GradCheck.Run(_ => forward(), parameters, eps: 3e-3f);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void LayerNormOp()
    {
        var rng = new Rng(1);
        Check(x => x[0].LayerNorm(x[1], x[2], 1e-5f),
            Tensor.Normal([3, 5], rng, std: 2f).RequireGrad(), Tensor.Normal([5], rng).RequireGrad(),
            Tensor.Normal([5], rng).RequireGrad());
        Check(x => x[0].LayerNorm(null, null), Tensor.Normal([2, 2, 4], rng).RequireGrad());
    }

    [Fact]
    public void DropoutOpWithAFixedMask() =>
        Check(x => x[0].Dropout(0.4f, new Rng(3)) * x[0], Tensor.Normal([4, 4], new Rng(2)).RequireGrad());

    [Fact]
    public void LinearModule()
    {
        var linear = new Linear(4, 3, new Rng(1));
        var x = Tensor.Normal([2, 5, 4], new Rng(2)).RequireGrad();
        Check(t => linear.Forward(t[0]), x);
        CheckModule(linear, () => linear.Forward(x.Detach()));
    }

    [Fact]
    public void LinearReluModule()
    {
        var linear = new Linear(4, 6, new Rng(1));
        var x = Tensor.Normal([3, 4], new Rng(2)).RequireGrad();
        var y = linear.ForwardRelu(x.Detach()).ToArray();
        Assert.Contains(y, v => v == 0f);                 // both sides of the kink are exercised
        Assert.Contains(y, v => v > 0f);
        Assert.Equal(linear.Forward(x.Detach()).Relu().ToArray(), y);
        Check(t => linear.ForwardRelu(t[0]), x);
        CheckModule(linear, () => linear.ForwardRelu(x.Detach()));
    }

    [Fact]
    public void EmbeddingModule()
    {
        var embedding = new Embedding(5, 3, new Rng(1));
        CheckModule(embedding, () => embedding.Forward(Tensor.FromArray([1, 4, 1, 0], 2, 2)));
    }

    [Fact]
    public void MultiHeadCrossAttentionWithMask()
    {
        var mha = new MultiHeadAttention(4, 2, 0f, new Rng(1));
        var q = Tensor.Normal([2, 3, 4], new Rng(2)).RequireGrad();
        var kv = Tensor.Normal([2, 5, 4], new Rng(3)).RequireGrad();
        var mask = AttentionMask.KeyPadding(Tensor.FromArray([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], 2, 5), padId: 0);
        Check(t => mha.Forward(t[0], t[1], t[1], mask).Output, q, kv);
        CheckModule(mha, () => mha.Forward(q.Detach(), kv.Detach(), kv.Detach(), mask).Output);
    }

    [Theory]
    [InlineData(NormPlacement.Post, ActivationKind.Relu)]
    [InlineData(NormPlacement.Pre, ActivationKind.Gelu)]
    public void TinyTransformerEveryParameter(NormPlacement norm, ActivationKind activation)
    {
        var config = new TransformerConfig
        {
            SourceVocab = 7, TargetVocab = 7, DModel = 4, Heads = 2, DimFeedForward = 6, EncoderLayers = 1, DecoderLayers = 1,
            Dropout = 0f, Norm = norm, Activation = activation, TieOutput = true,
        };
        var model = new Transformer(config, new Rng(4));
        var src = Tensor.FromArray([3, 4, 5, 0, 6, 2, 1, 1], 2, 4);
        var tgt = Tensor.FromArray([1, 2, 3, 1, 5, 0], 2, 3);
        CheckModule(model, () => model.Forward(src, tgt));
    }
}
