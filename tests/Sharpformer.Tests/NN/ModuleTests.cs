using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

public class ModuleTests
{
    [Fact]
    public void EncoderLayerNamesFollowPyTorchInRegistrationOrder()
    {
        var layer = new EncoderLayer(8, 2, 16, 0.1f, ActivationKind.Relu, NormPlacement.Post, new Rng(1));
        string[] expected =
        [
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        ];
        Assert.Equal(expected, layer.NamedParameters().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void ReferenceConfigurationsCountAsPyTorch()
    {
        // Counts given by PyTorch for the reference configurations (`TransformerConfig.Small`, `Big`, `Base`).
        Assert.Equal(9_634_624, new Transformer(TransformerConfig.Big(), new Rng(1)).ParameterCount());
        Assert.Equal(1_183_208, new Transformer(TransformerConfig.Small(), new Rng(1)).ParameterCount());
    }

    [Fact]
    public void SharedAndTiedTensorsAreOneParameterUnderSeveralNames()
    {
        var model = new Transformer(TransformerConfig.Tiny(20) with { TieOutput = true }, new Rng(1));
        var names = model.StateDict().Select(p => p.Key).ToList();
        Assert.Contains("src_embed.weight", names);
        Assert.Contains("tgt_embed.weight", names);
        Assert.Contains("generator.weight", names);
        Assert.Contains("transformer.decoder.layers.1.multihead_attn.out_proj.bias", names);
        Assert.Contains("transformer.encoder.norm.weight", names);
        Assert.Same(model.SourceEmbedding.Weight, model.Generator.Weight);
        var unique = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain("tgt_embed.weight", unique);
        Assert.DoesNotContain("generator.weight", unique);
        Assert.Equal(names.Count - 2, unique.Count);
    }

    [Fact]
    public void TrainEvalAndApplyReachEveryModule()
    {
        var model = new Transformer(TransformerConfig.Tiny(10), new Rng(1));
        model.Eval();
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.IsTraining));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining));
        var visited = new List<Module>();
        model.Apply(visited.Add);
        Assert.Same(model, visited[^1]);
        Assert.Equal(model.NamedModules().Count(), visited.Count);
        model.Apply(m =>
        {
            if (m is LayerNorm norm) Init.Constant(norm.Weight, 2f);
        });
        Assert.All(model.Core.Encoder.FinalNorm!.Weight.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void StateDictRoundTripsAndRejectsMismatches()
    {
        var a = new Transformer(TransformerConfig.Tiny(12), new Rng(1));
        var b = new Transformer(TransformerConfig.Tiny(12), new Rng(2));
        var src = Tensor.FromArray([3, 4, 5, 0], 1, 4);
        var tgt = Tensor.FromArray([1, 6, 7], 1, 3);
        a.Eval();
        b.Eval();
        Assert.NotEqual(a.Forward(src, tgt).ToArray(), b.Forward(src, tgt).ToArray());
        b.LoadStateDict(a.StateDict().ToDictionary());
        Assert.Equal(a.Forward(src, tgt).ToArray(), b.Forward(src, tgt).ToArray());

        var state = a.StateDict().ToDictionary();
        state.Remove("generator.bias");
        state["extra"] = Tensor.Zeros(1);
        var e = Assert.Throws<KeyNotFoundException>(() => b.LoadStateDict(state));
        Assert.Contains("generator.bias", e.Message);
        Assert.Contains("extra", e.Message);
        var wrong = a.StateDict().ToDictionary();
        wrong["generator.bias"] = Tensor.Zeros(3);
        Assert.Throws<ShapeMismatchException>(() => b.LoadStateDict(wrong));

        // The model shares one embedding: a state dict giving its two names different values is refused.
        var separate = a.StateDict().ToDictionary();
        separate["tgt_embed.weight"] = separate["src_embed.weight"] * 2f;
        var shared = Assert.Throws<ArgumentException>(() => b.LoadStateDict(separate));
        Assert.Contains("tgt_embed.weight", shared.Message);
    }

    [Fact]
    public void ConfigurationErrorsAreClear()
    {
        var e = Assert.Throws<ArgumentException>(() => new Transformer(TransformerConfig.Tiny(10) with { Heads = 3 }, new Rng(1)));
        Assert.Contains("heads (3) must divide d_model (64)", e.Message);
        Assert.Throws<ArgumentException>(() => new Transformer(TransformerConfig.Tiny(10) with { TargetVocab = 11 }, new Rng(1)));
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(10, 4, 0, new Rng(1)));
    }

    [Fact]
    public void XavierUniformHasTheRightBound()
    {
        var w = Tensor.Zeros(300, 200);
        Init.XavierUniform(w, new Rng(5));
        float bound = MathF.Sqrt(6f / 500f);
        var values = w.ToArray();
        Assert.True(values.Max() <= bound && values.Min() >= -bound);
        Assert.True(values.Max() > 0.99f * bound && values.Min() < -0.99f * bound);
    }

    [Fact]
    public void PositionalEncodingFollowsThePaperFormula()
    {
        var pe = new SinusoidalPositionalEncoding(6, 50);
        Assert.Equal(MathF.Sin(0), pe.Table[0, 0]);
        Assert.Equal(1f, pe.Table[0, 1]);
        Assert.Equal((float)Math.Sin(7 / Math.Pow(10000, 2.0 / 6)), pe.Table[7, 2], 6);
        Assert.Equal((float)Math.Cos(49 / Math.Pow(10000, 4.0 / 6)), pe.Table[49, 5], 6);
        Assert.Throws<ArgumentException>(() => pe.Forward(Tensor.Zeros(1, 51, 6)));
    }

    [Fact]
    public void DropoutIsSeededScaledAndOffInEval()
    {
        var x = Tensor.Ones(100_000);
        var a = new Dropout(0.3f, new Rng(9)).Forward(x).ToArray();
        var b = new Dropout(0.3f, new Rng(9)).Forward(x).ToArray();
        Assert.Equal(a, b);
        double dropped = a.Count(v => v == 0) / (double)a.Length;
        Assert.InRange(dropped, 0.3 - 0.006, 0.3 + 0.006); // ±4σ of a binomial proportion
        Assert.All(a.Where(v => v != 0), v => Assert.Equal(1f / 0.7f, v, 6));
        var eval = new Dropout(0.3f, new Rng(9));
        eval.Eval();
        Assert.Same(x, eval.Forward(x));
    }

    [Fact]
    public void AttentionMasksBlockWhatTheySay()
    {
        var causal = AttentionMask.Causal(3).Additive.ToArray();
        Assert.Equal([0, float.NegativeInfinity, float.NegativeInfinity, 0, 0, float.NegativeInfinity, 0, 0, 0], causal);
        var padding = AttentionMask.KeyPadding(Tensor.FromArray([5, 6, 0, 7, 0, 0], 2, 3), padId: 0);
        Assert.Equal([2, 1, 1, 3], padding.Additive.ShapeArray());
        Assert.Equal([0, 0, float.NegativeInfinity, 0, float.NegativeInfinity, float.NegativeInfinity], padding.Additive.ToArray());
        // Attention never puts weight on a blocked key.
        var attention = new ScaledDotProductAttention(0, new Rng(1));
        var q = Tensor.Normal([2, 1, 3, 4], new Rng(2));
        var (_, weights) = attention.Forward(q, q, q, AttentionMask.Combine(AttentionMask.Causal(3), padding), returnWeights: true);
        Assert.Equal(0f, weights![0, 0, 1, 2]);
        Assert.Equal(0f, weights[1, 0, 2, 1]);
        Assert.Equal(1f, weights[1, 0, 2, 0], 6);
    }
}
