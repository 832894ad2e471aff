namespace Sharpformer.Exercises.Week07;

/// <summary>
/// Week 7: what an encoder layer is made of besides attention (docs/06, docs/07): residual blocks with the norm after
/// or before the sublayer, and the mask that hides padding. Arrays are row-major.
/// </summary>
public static class EncoderPieces
{
    /// <summary>Post-norm (the paper): LayerNorm(x + sublayer(x)) for x: [rows, columns], the norm without γ and β, ε = 1e-5.</summary>
    public static float[] PostNorm(float[] x, Func<float[], float[]> sublayer, int rows, int columns) =>
        throw new NotImplementedException("Week 7: write PostNorm (docs/06-feedforward-layernorm.md, 'Residual connections')");

    /// <summary>Pre-norm: x + sublayer(LayerNorm(x)), the same norm.</summary>
    public static float[] PreNorm(float[] x, Func<float[], float[]> sublayer, int rows, int columns) =>
        throw new NotImplementedException("Week 7: write PreNorm (docs/06-feedforward-layernorm.md, 'Residual connections')");

    /// <summary>
    /// The additive key-padding mask of a batch of token ids [batch, length]: [batch, length] holding 0 where the token
    /// is real and −∞ where it is <paramref name="padId"/>, to be added to every query's scores over those keys.
    /// </summary>
    public static float[] KeyPaddingMask(int[] ids, int batch, int length, int padId) =>
        throw new NotImplementedException("Week 7: write KeyPaddingMask (docs/07-encoder.md)");
}
