using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>Symmetric int8 quantization of one row: q = round(x / s) with s = max |x| / 127.</summary>
internal static unsafe class Int8Rows
{
    // The smallest normal float32: below 127 times it, 127 / max overflows.
    private const float SmallestNormal = 1.17549435e-38f;

    /// <summary>
    /// Weights: q ← round(row / s), halves away from zero, for s = max |row| / 127; returns s. A row of zeros, or one whose
    /// largest magnitude is below 127 times the smallest normal float (1.5e-36, where 127 / max would overflow), gets s = 0
    /// and q = 0. row, q: [n]
    /// </summary>
    public static float Quantize(ReadOnlySpan<float> row, Span<sbyte> q)
    {
        float max = row.IsEmpty ? 0f : TensorPrimitives.MaxMagnitude(row);
        max = MathF.Abs(max);
        if (max < 127f * SmallestNormal)
        {
            q.Clear();
            return 0f;
        }
        float scale = max / 127f, inverse = 127f / max;
        for (int i = 0; i < row.Length; i++)
            q[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inverse, MidpointRounding.AwayFromZero), -127f, 127f);
        return scale;
    }

    /// <summary>
    /// Activations for VPDPBUSD: u ← round(x / s) + 128 as unsigned bytes (so 1 … 255), halves to even, for
    /// s = max |x| / 127 (1 for a row of zeros); returns s. A NaN or an infinity gives s = NaN, which the
    /// product then carries. x, u: [n]
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float QuantizeOffset(float* x, int n, byte* u)
    {
        float max = 0f;
        int i = 0;
        if (Avx512F.IsSupported)
        {
            // x·0 is NaN exactly when x is NaN or infinite: summing it flags such a row (vmaxps would skip a NaN).
            Vector512<float> m = Vector512<float>.Zero, flag = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                m = Avx512F.Max(m, Vector512.Abs(v));
                flag = Avx512F.FusedMultiplyAdd(v, Vector512<float>.Zero, flag);
            }
            for (int lane = 0; lane < 16; lane++) max = MathF.Max(max, m[lane]);
            if (float.IsNaN(Vector512.Sum(flag))) return float.NaN;
        }
        for (; i < n; i++)
        {
            float a = MathF.Abs(x[i]);
            max = float.IsNaN(a) ? a : MathF.Max(max, a);
        }
        if (!float.IsFinite(max)) return float.NaN;
        float scale = max == 0f ? 1f : max / 127f, inverse = 1f / scale;
        i = 0;
        if (Avx512F.IsSupported)
        {
            var inv = Vector512.Create(inverse);
            var offset = Vector512.Create(128);
            for (; i + 16 <= n; i += 16)
            {
                var levels = Avx512F.ConvertToVector512Int32(Vector512.Load(x + i) * inv) + offset;   // rounds to even
                Vector128.Store(Avx512F.ConvertToVector128Byte(levels), u + i);
            }
        }
        for (; i < n; i++) u[i] = (byte)(Math.Clamp((int)MathF.Round(x[i] * inverse), -127, 127) + 128);
        return scale;
    }
}
