using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// Attention of one new query position over cached keys and values (a step of incremental decoding):
/// for every row b and head h, out[b, h] = softmax(q[b, h]·K[b, h]ᵀ·scale + mask[b, h])·V[b, h].
/// At one query position the general path's batched products, broadcast mask and softmax op cost more
/// in setup than in arithmetic, so this works on the cache buffers directly, in the same order of
/// operations (dot products, scale, mask, softmax as <see cref="Softmax"/>, weighted sum of values).
/// </summary>
internal static class AttentionStep
{
    private const int MaxStackScores = 4096;

    // q: [B, H·d] with row stride qStride; keys, values: [B, H, capacity, d], positions [0, length) used;
    // mask: additive [B, H, length], or empty for none; output: [B, H·d] dense
    public static void Run(ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int rows, int heads, int capacity, int length, int d, float scale, ReadOnlySpan<float> mask, Span<float> output)
    {
        Span<float> scores = length <= MaxStackScores ? stackalloc float[length] : new float[length];
        for (int b = 0; b < rows; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                int head = b * heads + h;
                var query = q.Slice(b * qStride + h * d, d);
                var k = keys.Slice(head * capacity * d, length * d);
                var v = values.Slice(head * capacity * d, length * d);
                for (int j = 0; j < length; j++) scores[j] = TensorPrimitives.Dot(query, k.Slice(j * d, d)) * scale;
                if (!mask.IsEmpty) TensorPrimitives.Add(scores, mask.Slice(head * length, length), scores);

                float max = TensorPrimitives.Max(scores);
                if (float.IsNegativeInfinity(max)) max = 0;   // every key masked: weights 0 / 0, as the general path
                TensorPrimitives.Subtract(scores, max, scores);
                TensorPrimitives.Exp(scores, scores);
                TensorPrimitives.Multiply(scores, 1f / TensorPrimitives.Sum(scores), scores);

                var o = output.Slice(head * d, d);
                o.Clear();
                for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(v.Slice(j * d, d), scores[j], o, o);
            }
        }
    }
}
