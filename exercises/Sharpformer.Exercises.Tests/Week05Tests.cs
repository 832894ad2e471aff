using Sharpformer.Exercises.Week05;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 5: splitting and merging heads, and multi-head self-attention against the library's module and PyTorch.</summary>
[Trait("Week", "5")]
public sealed class Week05Tests
{
    [Fact]
    public void SplitHeadsByHand()
    {
        // Two tokens, two heads of two: token t's row is [t0 t1 | t2 t3].
        float[] x = [0, 1, 2, 3, 10, 11, 12, 13];
        Assert.Equal(new float[] { 0, 1, 10, 11, 2, 3, 12, 13 }, MultiHead.SplitHeads(x, tokens: 2, heads: 2, headSize: 2));
    }

    [Theory]
    [InlineData(3, 4, 2)]
    [InlineData(5, 1, 6)]
    [InlineData(1, 3, 3)]
    public void MergeUndoesSplit(int tokens, int heads, int headSize)
    {
        float[] x = Grading.Normal(tokens * heads * headSize, 50);
        var split = MultiHead.SplitHeads(x, tokens, heads, headSize);
        Assert.Equal(Tensor.FromArray(x, tokens, heads, headSize).Permute(1, 0, 2).Contiguous().ToArray(), split);
        Assert.Equal(x, MultiHead.MergeHeads(split, tokens, heads, headSize));
    }

    [Theory]
    [InlineData(4, 8, 2)]
    [InlineData(3, 6, 3)]
    [InlineData(2, 4, 1)]
    public void SelfAttentionMatchesTheLibrarysModule(int tokens, int model, int heads)
    {
        float[] x = Grading.Normal(tokens * model, 51);
        var w = Enumerable.Range(0, 4).Select(i => Grading.Normal(model * model, 52 + (ulong)i, std: 0.3f)).ToArray();
        var module = new MultiHeadAttention(model, heads, dropout: 0f, new Rng(1));
        var state = module.StateDict().ToDictionary(p => p.Key, p => p.Key switch
        {
            "in_proj_weight" => Tensor.FromArray([.. w[0], .. w[1], .. w[2]], 3 * model, model),
            "out_proj.weight" => Tensor.FromArray(w[3], model, model),
            _ => Tensor.Zeros(p.Value.ShapeArray()),     // the biases
        });
        module.LoadStateDict(state);
        var input = Tensor.FromArray(x, 1, tokens, model);
        var (expected, _) = module.Forward(input, input, input);
        Grading.Close(expected.ToArray(), MultiHead.SelfAttention(x, w[0], w[1], w[2], w[3], tokens, model, heads),
            $"{heads} head(s) of {model / heads}");
    }

    [Fact]
    public void SelfAttentionMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week05.self_attention");
        var x = e["x"];
        int heads = (int)e["heads"].Data[0];
        Grading.Close(e["out"].Data, MultiHead.SelfAttention(x.Data, e["wq"].Data, e["wk"].Data, e["wv"].Data, e["wo"].Data, x.Shape[0],
            x.Shape[1], heads), "torch: projections, heads by reshape, scaled_dot_product_attention");
    }
}
