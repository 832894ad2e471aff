using Sharpformer.Exercises.Week04;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 4: scaled dot-product attention, with and without the causal mask.</summary>
[Trait("Week", "4")]
public sealed class Week04Tests
{
    [Theory]
    [InlineData(4, 6, 8, 3, false)]
    [InlineData(5, 5, 8, 4, true)]
    [InlineData(1, 1, 2, 1, true)]
    public void AttentionMatchesTheLibrary(int queries, int keys, int d, int dv, bool causal)
    {
        float[] q = Grading.Normal(queries * d, 12), k = Grading.Normal(keys * d, 13), v = Grading.Normal(keys * dv, 14);
        var (output, weights) = Attention.ScaledDotProduct(q, k, v, queries, keys, d, dv, causal);
        var (expected, expectedWeights) = new ScaledDotProductAttention(0f, new Rng(0)).Forward(Tensor.FromArray(q, queries, d),
            Tensor.FromArray(k, keys, d), Tensor.FromArray(v, keys, dv), causal ? AttentionMask.Causal(queries) : null,
            returnWeights: true);
        Grading.Close(expectedWeights!.ToArray(), weights, "weights");
        Grading.Close(expected.ToArray(), output, "output");
        for (int t = 0; t < queries; t++)
        {
            Assert.Equal(1f, weights.AsSpan(t * keys, keys).ToArray().Sum(), 1e-5f);
            if (causal)
                for (int s = t + 1; s < keys; s++) Assert.True(weights[t * keys + s] == 0f, $"query {t} attends to the later key {s}");
        }
    }

    [Fact]
    public void LargeScoresStayFinite()
    {
        const int n = 3, d = 4;
        float[] q = [.. Grading.Normal(n * d, 15).Select(x => x * 300)], k = [.. Grading.Normal(n * d, 16).Select(x => x * 300)];
        var (output, weights) = Attention.ScaledDotProduct(q, k, Grading.Normal(n * d, 17), n, n, d, d, causal: false);
        Assert.All(weights, w => Assert.True(float.IsFinite(w), "a weight overflowed: subtract the row maximum first"));
        Assert.All(output, o => Assert.True(float.IsFinite(o), "an output overflowed: subtract the row maximum first"));
    }

    [Theory]
    [InlineData("week04.attention", false)]
    [InlineData("week04.causal", true)]
    public void AttentionMatchesPyTorch(string entry, bool causal)
    {
        var e = PyTorchNumbers.Entry(entry);
        var (q, k, v) = (e["q"], e["k"], e["v"]);
        var (output, weights) = Attention.ScaledDotProduct(q.Data, k.Data, v.Data, q.Shape[0], k.Shape[0], q.Shape[1], v.Shape[1], causal);
        Grading.Close(e["weights"].Data, weights, "softmax(q·kᵀ/√d + mask)");
        Grading.Close(e["out"].Data, output, "torch.nn.functional.scaled_dot_product_attention");
    }
}
