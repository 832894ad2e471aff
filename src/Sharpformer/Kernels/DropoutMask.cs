using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>
/// Counter-based dropout: whether element i of a call is kept is a hash of (key, i), so the mask is never
/// stored. The backward pass regenerates it from the same key, and any split over threads draws the
/// same mask. Kept elements are scaled by 1/(1 − p).
/// </summary>
internal static class DropoutMask
{
    /// <summary>dst[i] = keep(key, first + i) ? src[i]·scale : 0, with keep probability 1 − p.</summary>
    // src, dst: [n]
    public static void Apply(ReadOnlySpan<float> src, Span<float> dst, ulong key, int first, float p)
    {
        uint threshold = Threshold(p);
        float scale = 1f / (1f - p);
        uint lo = (uint)key, hi = (uint)(key >> 32);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var lanes = Vector512<uint>.Indices;
            var vScale = Vector512.Create(scale);
            for (; i + 16 <= src.Length; i += 16)
            {
                var h = Hash(lanes + Vector512.Create((uint)(first + i)), lo, hi);
                var keep = Vector512.GreaterThanOrEqual(h >> 8, Vector512.Create(threshold)).AsSingle();
                var x = Vector512.Create(src.Slice(i, 16));
                Vector512.BitwiseAnd(x * vScale, keep).CopyTo(dst.Slice(i, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)   // 8 at a time (AVX2 machines; on AVX-512 ones the tail)
        {
            var lanes = Vector256<uint>.Indices;
            var vScale = Vector256.Create(scale);
            for (; i + 8 <= src.Length; i += 8)
            {
                var h = Hash(lanes + Vector256.Create((uint)(first + i)), lo, hi);
                var keep = Vector256.GreaterThanOrEqual(h >> 8, Vector256.Create(threshold)).AsSingle();
                var x = Vector256.Create(src.Slice(i, 8));
                Vector256.BitwiseAnd(x * vScale, keep).CopyTo(dst.Slice(i, 8));
            }
        }
        for (; i < src.Length; i++)
            dst[i] = Keep(key, first + i, threshold) ? src[i] * scale : 0f;
    }

    /// <summary>Whether element <paramref name="index"/> is kept (the scalar form of <see cref="Apply"/>).</summary>
    public static bool Keep(ulong key, int index, uint threshold) => Hash((uint)index, (uint)key, (uint)(key >> 32)) >> 8 >= threshold;

    /// <summary>Elements whose 24-bit hash is below this are dropped: round(p · 2²⁴).</summary>
    public static uint Threshold(float p) => (uint)Math.Round(p * (double)(1 << 24));

    // A 32-bit mix (murmur3's finalizer) of the counter offset by the key.
    private static uint Hash(uint index, uint lo, uint hi)
    {
        uint h = index * 0x9E3779B9u + lo;
        h ^= hi;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }

    private static Vector512<uint> Hash(Vector512<uint> index, uint lo, uint hi)
    {
        var h = index * 0x9E3779B9u + Vector512.Create(lo);
        h ^= Vector512.Create(hi);
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }

    private static Vector256<uint> Hash(Vector256<uint> index, uint lo, uint hi)
    {
        var h = index * 0x9E3779B9u + Vector256.Create(lo);
        h ^= Vector256.Create(hi);
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }
}
