namespace Sharpformer.Kernels;

/// <summary>
/// Rotary position embedding (RoPE, Su et al.) with the split-halves pairing of GPT-NeoX and LLaMA: a head
/// vector x of even size d is taken as two halves (x₁, x₂), and dimension i of each is rotated together by
/// the angle position·θ^(−2i/d): (x₁, x₂) ↦ (x₁·cos − x₂·sin, x₂·cos + x₁·sin). The inverse rotation (the
/// backward pass) uses −sin. The angles are computed in double precision.
/// </summary>
internal static class Rope
{
    /// <summary>cos and sin of every (position, frequency): [count, d/2] each, positions first … first + count − 1.</summary>
    public static (float[] Cos, float[] Sin) Table(int first, int count, int d, float theta)
    {
        var cos = new float[count * (d / 2)];
        var sin = new float[count * (d / 2)];
        Fill(first, count, d, theta, cos, sin);
        return (cos, sin);
    }

    /// <summary>As <see cref="Table"/>, into <paramref name="cos"/> and <paramref name="sin"/>: [count, d/2] each.</summary>
    public static void Fill(int first, int count, int d, float theta, Span<float> cos, Span<float> sin)
    {
        int half = d / 2;
        for (int i = 0; i < half; i++)
        {
            double frequency = Math.Pow(theta, -2.0 * i / d);
            for (int p = 0; p < count; p++)
            {
                double angle = (first + p) * frequency;
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>
    /// Rotates each row of x into y (they may be the same): x, y: [rows, d] at row stride d, where row r
    /// holds position (r / <paramref name="inner"/>) mod <paramref name="length"/> (table row of that
    /// index); <paramref name="inverse"/> rotates back.
    /// </summary>
    // cos, sin: [length, d/2]
    public static void Rotate(ReadOnlySpan<float> x, Span<float> y, int rows, int d, int length, int inner,
                              ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse)
    {
        int half = d / 2;
        for (int r = 0; r < rows; r++)
        {
            int at = r / inner % length * half;
            RotateRow(x.Slice(r * d, d), y.Slice(r * d, d), cos.Slice(at, half), sin.Slice(at, half), inverse);
        }
    }

    /// <summary>One head vector: y = R(θ)·x, or R(θ)ᵀ·x when <paramref name="inverse"/>. x, y: [d]; cos, sin: [d/2]</summary>
    public static void RotateRow(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse)
    {
        int half = cos.Length;
        float sign = inverse ? -1f : 1f;
        for (int i = 0; i < half; i++)
        {
            float x1 = x[i], x2 = x[half + i], c = cos[i], s = sign * sin[i];
            y[i] = x1 * c - x2 * s;
            y[half + i] = x2 * c + x1 * s;
        }
    }
}
