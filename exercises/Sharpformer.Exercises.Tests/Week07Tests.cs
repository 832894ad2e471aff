using Sharpformer.Exercises.Week07;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 7: post- and pre-norm residual blocks, and the key-padding mask.</summary>
[Trait("Week", "7")]
public sealed class Week07Tests
{
    private const int Rows = 3, Columns = 5;

    // A sublayer to wrap: a fixed linear map, y = x·Wᵀ.
    private static readonly float[] Weight = Grading.Normal(Columns * Columns, 70, std: 0.5f);

    private static float[] Sublayer(float[] x) =>
        Tensor.FromArray(x, Rows, Columns).MatMul(Tensor.FromArray(Weight, Columns, Columns).Transpose(0, 1)).ToArray();

    [Fact]
    public void PostNormNormalizesTheSum()
    {
        float[] x = Grading.Normal(Rows * Columns, 71, std: 2);
        float[] sum = [.. x.Zip(Sublayer(x), (a, b) => a + b)];
        Grading.Close(Normalize(sum), EncoderPieces.PostNorm(x, Sublayer, Rows, Columns), "LayerNorm(x + sublayer(x))");
    }

    [Fact]
    public void PreNormAddsTheSublayerOfTheNormalizedInput()
    {
        float[] x = Grading.Normal(Rows * Columns, 72, std: 2);
        var expected = x.Zip(Sublayer([.. Normalize(x).Select(v => (float)v)]), (a, b) => (double)a + b).ToArray();
        Grading.Close(expected, EncoderPieces.PreNorm(x, Sublayer, Rows, Columns), "x + sublayer(LayerNorm(x))");
    }

    [Fact]
    public void WithASublayerOfZerosPreNormIsTheIdentity()
    {
        float[] x = Grading.Normal(Rows * Columns, 73);
        Grading.Close(x, EncoderPieces.PreNorm(x, v => new float[v.Length], Rows, Columns), "x + 0", 1e-6f);
        Grading.Close(Normalize(x), EncoderPieces.PostNorm(x, v => new float[v.Length], Rows, Columns), "LayerNorm(x + 0)");
    }

    [Fact]
    public void KeyPaddingMaskMatchesTheLibrary()
    {
        int[] ids = [5, 7, 9, 0, 0, 4, 0, 0, 0, 0, 8, 6, 3, 2, 1];
        var mask = EncoderPieces.KeyPaddingMask(ids, batch: 3, length: 5, padId: 0);
        var expected = AttentionMask.KeyPadding(Tensor.FromArray([.. ids.Select(i => (float)i)], 3, 5), 0).Additive.ToArray();
        Assert.Equal(expected, mask);
        Assert.Equal(6, mask.Count(float.IsNegativeInfinity));
    }

    // Each row to mean 0 and variance 1 (ε = 1e-5), in double.
    private static double[] Normalize(float[] x)
    {
        var y = new double[x.Length];
        for (int r = 0; r < Rows; r++)
        {
            var row = x.AsSpan(r * Columns, Columns).ToArray().Select(v => (double)v).ToArray();
            double mean = row.Average(), variance = row.Sum(v => (v - mean) * (v - mean)) / Columns;
            for (int c = 0; c < Columns; c++) y[r * Columns + c] = (row[c] - mean) / Math.Sqrt(variance + 1e-5);
        }
        return y;
    }
}
