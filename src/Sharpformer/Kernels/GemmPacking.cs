using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// Copies blocks of A and B into the panel layout the micro-kernels read: a panel holds `width` rows
/// (A) or columns (B) interleaved along k, i.e. panel[p, r] sits at p·width + r. Transposition flags are
/// resolved here, so the kernels see one layout. Partial panels are padded with zeros.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs op(A)[mc, kc] (top-left element at <paramref name="a"/>) into MR-row panels:
    /// A block: [mc / MR] panels, each [kc, MR].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TKernel>(bool transA, float* a, nint lda, int mc, int kc, float* dst)
        where TKernel : IGemmKernel
    {
        int mr = TKernel.MR;
        for (int r0 = 0; r0 < mc; r0 += mr, dst += (nint)kc * mr)
        {
            int count = Math.Min(mr, mc - r0);
            if (transA)
                PackStrided(a + r0, lda, count, kc, dst, mr);
            else
                PackTransposed(a + r0 * lda, lda, count, kc, dst, mr, TKernel.AvxPacking);
        }
    }

    /// <summary>
    /// Packs op(B)[kc, nc] (top-left element at <paramref name="b"/>) into NR-column panels:
    /// B block: [nc / NR] panels, each [kc, NR].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TKernel>(bool transB, float* b, nint ldb, int kc, int nc, float* dst)
        where TKernel : IGemmKernel
    {
        int nr = TKernel.NR;
        for (int j0 = 0; j0 < nc; j0 += nr, dst += (nint)kc * nr)
        {
            int count = Math.Min(nr, nc - j0);
            if (transB)
                PackTransposed(b + j0 * ldb, ldb, count, kc, dst, nr, TKernel.AvxPacking);
            else
                PackStrided(b + j0, ldb, count, kc, dst, nr);
        }
    }

    /// <summary>
    /// <see cref="PackB{TKernel}"/> for B[kc, nc] (not transposed) held as bfloat16, each value widened to float32 (exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBWidening<TKernel>(ushort* b, nint ldb, int kc, int nc, float* dst)
        where TKernel : IGemmKernel
    {
        int nr = TKernel.NR;
        for (int j0 = 0; j0 < nc; j0 += nr, dst += (nint)kc * nr)
        {
            int count = Math.Min(nr, nc - j0);
            ushort* src = b + j0;
            float* panel = dst;
            for (int p = 0; p < kc; p++, src += ldb, panel += nr)
            {
                int r = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; r + 16 <= count; r += 16)   // 16 bfloat16 → 16 float32: zero-extend, shift into the top half
                        Vector512.Store(Vector512.ShiftLeft(Vector512.WidenLower(Vector512.Create(Vector256.Load(src + r),
                            Vector256<ushort>.Zero)), 16).AsSingle(), panel + r);
                }
                for (; r < count; r++)
                    panel[r] = BFloat16.ToFloat(src[r]);
                for (; r < nr; r++)
                    panel[r] = 0;
            }
        }
    }

    // Source vectors run across memory: element (r, p) is src[p·ld + r]. Panel: [kc, width].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackStrided(float* src, nint ld, int count, int kc, float* dst, int width)
    {
        for (int p = 0; p < kc; p++, src += ld, dst += width)
        {
            int r = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; r + 8 <= count; r += 8)
                    Vector256.Store(Vector256.Load(src + r), dst + r);
            }
            for (; r + 4 <= count; r += 4)
                Vector128.Store(Vector128.Load(src + r), dst + r);
            for (; r < count; r++)
                dst[r] = src[r];
            for (; r < width; r++)
                dst[r] = 0;
        }
    }

    // Source vectors run along memory: element (r, p) is src[r·ld + p]. Panel: [kc, width].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(float* src, nint ld, int count, int kc, float* dst, int width, bool avx)
    {
        int p = 0;
        int fullRows = count >= 4 ? count : 0;   // rows the 4 × 8 tiles cover
        if (avx && Avx.IsSupported && fullRows > 0)
        {
            for (; p + 8 <= kc; p += 8)
            {
                for (int r = 0; r + 4 <= count; r += 4)
                    Transpose4x8(src + r * ld + p, ld, dst + (nint)p * width + r, width);
                if (count % 4 != 0)   // the last rows: a tile overlapping the one before (rewriting equal values)
                    Transpose4x8(src + (count - 4) * ld + p, ld, dst + (nint)p * width + count - 4, width);
            }
        }
        else
        {
            fullRows = 0;
        }

        // What the 4 × 8 tiles did not cover: columns p.. for the tiled rows, every column for the rest.
        for (int r = 0; r < count; r++)
        {
            float* s = src + r * ld;
            for (int q = r < fullRows ? p : 0; q < kc; q++)
                dst[(nint)q * width + r] = s[q];
        }
        for (int q = 0; q < kc; q++)
        {
            for (int r = count; r < width; r++)
                dst[(nint)q * width + r] = 0;
        }
    }

    // Four source rows of eight values become eight panel rows of four values (at stride `width`).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* src, nint ld, float* dst, int width)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + ld);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ld);
        Vector256<float> r3 = Avx.LoadVector256(src + 3 * ld);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1] | same for 4, 5
        Vector256<float> t1 = Avx.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3] | same for 6, 7
        Vector256<float> t2 = Avx.UnpackLow(r2, r3);
        Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44); // column 0 | column 4
        Vector256<float> u1 = Avx.Shuffle(t0, t2, 0xEE); // column 1 | column 5
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44); // column 2 | column 6
        Vector256<float> u3 = Avx.Shuffle(t1, t3, 0xEE); // column 3 | column 7
        Vector128.Store(u0.GetLower(), dst);
        Vector128.Store(u1.GetLower(), dst + width);
        Vector128.Store(u2.GetLower(), dst + 2 * width);
        Vector128.Store(u3.GetLower(), dst + 3 * width);
        Vector128.Store(u0.GetUpper(), dst + 4 * width);
        Vector128.Store(u1.GetUpper(), dst + 5 * width);
        Vector128.Store(u2.GetUpper(), dst + 6 * width);
        Vector128.Store(u3.GetUpper(), dst + 7 * width);
    }
}
