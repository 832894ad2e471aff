using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// Attention of one new query position over cached keys and values (a step of incremental decoding):
/// for every row b and head h, out[b, h] = softmax(q[b, h]·K[b, h]ᵀ·scale + mask[b, h])·V[b, h].
/// At one query position the general path's batched products, broadcast mask and softmax op cost more
/// in setup than in arithmetic, so this works on the cache buffers directly, in the same order of
/// operations as that path (dot products, scale, mask, softmax as <see cref="Softmax"/>, weighted sum of
/// values), with its loops compiled optimized from the first call.
/// </summary>
internal static unsafe class AttentionStep
{
    private const int MaxStackScores = 4096;

    // q: [B, H·d] with row stride qStride; keys, values: [B, H, capacity, d], positions [0, length) used;
    // mask: additive [B, H, length], or empty for none; output: [B, H·d] dense
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int rows, int heads, int capacity, int length, int d, float scale, ReadOnlySpan<float> mask, Span<float> output)
    {
        int cached = rows * heads * capacity * d;
        if (length < 1 || length > capacity || (rows > 0 && q.Length < (rows - 1) * qStride + heads * d)
            || keys.Length < cached || values.Length < cached
            || (!mask.IsEmpty && mask.Length != rows * heads * length) || output.Length < rows * heads * d)
            throw new ArgumentException("AttentionStep: the buffers do not fit the given sizes");
        Span<float> scores = length <= MaxStackScores ? stackalloc float[length] : new float[length];
        fixed (float* pq = q, pk = keys, pv = values, pm = mask, po = output, w = scores)
        {
            for (int head = 0; head < rows * heads; head++)
            {
                float* query = pq + head / heads * qStride + head % heads * d;
                float* k = pk + (long)head * capacity * d, v = pv + (long)head * capacity * d;
                float max = float.NegativeInfinity;
                for (int j = 0; j < length; j++)
                {
                    float s = Dot(query, k + j * d, d) * scale;
                    if (pm != null) s += pm[head * length + j];
                    w[j] = s;
                    max = MathF.Max(max, s);
                }
                if (float.IsNegativeInfinity(max)) max = 0;   // every key masked: weights 0 / 0, as the general path
                float sum = 0;
                for (int j = 0; j < length; j++) sum += w[j] = MathF.Exp(w[j] - max);
                float inverse = 1f / sum;

                float* o = po + head * d;
                new Span<float>(o, d).Clear();
                for (int j = 0; j < length; j++) AddScaled(o, v + j * d, w[j] * inverse, d);
            }
        }
    }

    // Σ a[i]·b[i] over n values
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* a, float* b, int n)
    {
        var acc = Vector<float>.Zero;
        int i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
            acc = Vector.MultiplyAddEstimate(Vector.Load(a + i), Vector.Load(b + i), acc);
        float sum = Vector.Sum(acc);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    // y[0..n) += s·x[0..n)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* y, float* x, float s, int n)
    {
        var vs = new Vector<float>(s);
        int i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
            Vector.Store(Vector.MultiplyAddEstimate(vs, Vector.Load(x + i), Vector.Load(y + i)), y + i);
        for (; i < n; i++) y[i] += s * x[i];
    }
}
