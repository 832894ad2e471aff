using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>Softmax and log-softmax over the middle axis of a dense [outer, n, inner] tensor, with their backward passes.</summary>
internal static class Softmax
{
    // x, y: [outer, n, inner]; y = exp(x − max) / Σ exp(x − max) along n
    public static void Forward(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> y, bool log)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * n, n), y.Slice(o * n, n), log);
            return;
        }
        float[] column = new float[n];
        float[] result = new float[n];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int at = o * n * inner + i;
                for (int j = 0; j < n; j++) column[j] = x[at + j * inner];
                Row(column, result, log);
                for (int j = 0; j < n; j++) y[at + j * inner] = result[j];
            }
        }
    }

    // softmax: dx = y ⊙ (g − Σ g⊙y);  log-softmax: dx = g − exp(y) Σ g
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, int outer, int n, int inner, Span<float> dx, bool log)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int at = o * n * inner + i;
                double s = 0;
                for (int j = 0; j < n; j++)
                {
                    int k = at + j * inner;
                    s += log ? g[k] : g[k] * y[k];
                }
                float sf = (float)s;
                for (int j = 0; j < n; j++)
                {
                    int k = at + j * inner;
                    dx[k] = log ? g[k] - MathF.Exp(y[k]) * sf : y[k] * (g[k] - sf);
                }
            }
        }
    }

    // x, y: [n] (may be the same span); a fully masked row (all −∞) gives NaN, as in torch
    public static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max)) max = 0; // a fully masked row: exp gives zeros, sum 0
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            float sumExp = 0;
            foreach (float v in y) sumExp += MathF.Exp(v);
            TensorPrimitives.Subtract(y, MathF.Log(sumExp), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            float sum = TensorPrimitives.Sum(y);
            TensorPrimitives.Multiply(y, 1f / sum, y);
        }
    }
}
