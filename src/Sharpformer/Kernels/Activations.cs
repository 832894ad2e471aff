using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>ReLU's backward pass (GELU has its own kernel, <see cref="Gelu"/>).</summary>
internal static class Activations
{
    /// <summary>ReLU's backward from its output: dx = y &gt; 0 ? g : 0.</summary>
    // y, g, dx: [n]
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx)
    {
        int i = 0;
        for (; i + 16 <= y.Length; i += 16)
        {
            var positive = Vector512.GreaterThan(Vector512.Create(y.Slice(i, 16)), Vector512<float>.Zero);
            Vector512.BitwiseAnd(Vector512.Create(g.Slice(i, 16)), positive).CopyTo(dx.Slice(i, 16));
        }
        for (; i < y.Length; i++) dx[i] = y[i] > 0 ? g[i] : 0f;
    }

    /// <summary>
    /// <see cref="ReluBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> from the output held as bfloat16
    /// (bf16 mixed precision: it waited packed): the sign test of each widened value, with no float32 copy.
    /// </summary>
    // y, g, dx: [n]
    public static void ReluBackward(ReadOnlySpan<ushort> y, ReadOnlySpan<float> g, Span<float> dx)
    {
        int i = 0;
        for (; i + 16 <= y.Length; i += 16)
        {
            var bits = Vector512.WidenLower(Vector512.Create(Vector256.Create(y.Slice(i, 16)), Vector256<ushort>.Zero));
            var positive = Vector512.GreaterThan(Vector512.ShiftLeft(bits, 16).AsSingle(), Vector512<float>.Zero);
            Vector512.BitwiseAnd(Vector512.Create(g.Slice(i, 16)), positive).CopyTo(dx.Slice(i, 16));
        }
        for (; i < y.Length; i++) dx[i] = BFloat16.ToFloat(y[i]) > 0 ? g[i] : 0f;
    }
}
