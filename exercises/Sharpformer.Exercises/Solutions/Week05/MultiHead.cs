using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week05;

/// <summary>Week 5 with the library plugged in: views to split and merge, the library's attention op per head.</summary>
public static class MultiHead
{
    /// <summary>[tokens, heads·headSize] → [heads, tokens, headSize].</summary>
    public static float[] SplitHeads(float[] x, int tokens, int heads, int headSize) =>
        Tensor.FromArray(x, tokens, heads, headSize).Permute(1, 0, 2).Contiguous().ToArray();

    /// <summary>[heads, tokens, headSize] → [tokens, heads·headSize].</summary>
    public static float[] MergeHeads(float[] x, int tokens, int heads, int headSize) =>
        Tensor.FromArray(x, heads, tokens, headSize).Permute(1, 0, 2).Contiguous().ToArray();

    /// <summary>Multi-head self-attention without biases.</summary>
    public static float[] SelfAttention(float[] x, float[] wq, float[] wk, float[] wv, float[] wo, int tokens, int model, int heads)
    {
        int headSize = model / heads;
        var input = Tensor.FromArray(x, tokens, model);
        // Each projection [tokens, model] viewed as [heads, tokens, headSize].
        Tensor Project(float[] w) =>
            input.MatMul(Tensor.FromArray(w, model, model).Transpose(0, 1)).Reshape(tokens, heads, headSize).Permute(1, 0, 2);
        var (output, _) = Tensor.Attention(Project(wq), Project(wk), Project(wv));               // [heads, tokens, headSize]
        var merged = output.Permute(1, 0, 2).Reshape(tokens, model);
        return merged.MatMul(Tensor.FromArray(wo, model, model).Transpose(0, 1)).ToArray();
    }
}
