using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week04;

/// <summary>Week 4 with the library plugged in: the attention module every model uses.</summary>
public static class Attention
{
    /// <summary>softmax(Q·Kᵀ/√d + mask)·V and its weights.</summary>
    public static (float[] Output, float[] Weights) ScaledDotProduct(float[] q, float[] k, float[] v, int queries, int keys, int d,
        int dv, bool causal)
    {
        if (causal && queries != keys) throw new ArgumentException("the causal mask needs as many queries as keys");
        var attention = new ScaledDotProductAttention(dropout: 0f, new Rng(0));
        var (output, weights) = attention.Forward(Tensor.FromArray(q, queries, d), Tensor.FromArray(k, keys, d),
            Tensor.FromArray(v, keys, dv), causal ? AttentionMask.Causal(queries) : null, returnWeights: true);
        return (output.ToArray(), weights!.ToArray());
    }
}
