using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week07;

/// <summary>Week 7 with the library plugged in: its layer-norm op and its key-padding mask.</summary>
public static class EncoderPieces
{
    private const float Eps = 1e-5f;

    /// <summary>LayerNorm(x + sublayer(x)).</summary>
    public static float[] PostNorm(float[] x, Func<float[], float[]> sublayer, int rows, int columns) =>
        Tensor.FromArray(x, rows, columns).Add(Tensor.FromArray(sublayer(x), rows, columns)).LayerNorm(null, null, Eps).ToArray();

    /// <summary>x + sublayer(LayerNorm(x)).</summary>
    public static float[] PreNorm(float[] x, Func<float[], float[]> sublayer, int rows, int columns)
    {
        var normed = Tensor.FromArray(x, rows, columns).LayerNorm(null, null, Eps).ToArray();
        return Tensor.FromArray(x, rows, columns).Add(Tensor.FromArray(sublayer(normed), rows, columns)).ToArray();
    }

    /// <summary>The library's mask for the ids, [batch, 1, 1, length] read as [batch, length].</summary>
    public static float[] KeyPaddingMask(int[] ids, int batch, int length, int padId) =>
        AttentionMask.KeyPadding(Tensor.FromArray([.. ids.Select(i => (float)i)], batch, length), padId).Additive.ToArray();
}
