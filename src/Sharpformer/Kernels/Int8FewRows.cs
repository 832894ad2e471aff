using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// y[m, n] = x[m, k]·Wᵀ + β·y for a few activation rows (cached decoding) and int8 weights W = scale ⊙ q, on CPUs
/// without the int8 dot product (AVX2 and FMA only): each group of 8 weights is widened to float32 in registers
/// (VPMOVSXBD, VCVTDQ2PS) and multiplied into float32 sums, so the weights stream from memory as one byte each and
/// no float32 copy of them is made. The activations stay float32: the result is the float product with the dequantized
/// weights, as <see cref="Int8Gemm.RunDequantized"/>'s, summed in another order.
/// </summary>
internal static unsafe class Int8FewRows
{
    /// <summary>Most activation rows this path takes; more rows amortise the dequantized GEMM better.</summary>
    public const int MaxRows = 8;

    // From this many multiply-adds another thread pays for its wake-up (at 2^16, one row of `big`'s 256 × 256 products on
    // 2 threads ran at 0.58× of 1 thread).
    private const long ParallelWork = 1L << 20;

    /// <summary>Whether this CPU runs the path.</summary>
    public static bool Supported => Avx2.IsSupported && Fma.IsSupported;

    [ThreadStatic]
    private static float[]? t_padded;

    /// <summary>The product (needs <see cref="Supported"/>; m at most <see cref="MaxRows"/>).</summary>
    public static void Run(int m, Int8Operand w, float* x, int ldx, float beta, float* y, int ldy, int threads)
    {
        // The activations, each row padded with zeros to whole groups of 4 (the panels' padding columns are zero, but
        // whatever follows a row in memory might be NaN).
        int groups = Int8Panels.Groups(w.Columns), stride = groups * Int8Panels.Group;
        if (t_padded is null || t_padded.Length < m * stride) t_padded = GC.AllocateArray<float>(MaxRows * stride, pinned: true);
        fixed (float* padded = t_padded)
        fixed (sbyte* q = w.Panels)
        fixed (float* scales = w.Scales)
        {
            for (int i = 0; i < m; i++)
            {
                new ReadOnlySpan<float>(x + (nint)i * ldx, w.Columns).CopyTo(new Span<float>(padded + i * stride, w.Columns));
                new Span<float>(padded + i * stride + w.Columns, stride - w.Columns).Clear();
            }
            int panels = Int8Panels.Count(w.Rows);
            var job = new Job(m, w.Rows, groups, padded, stride, q, scales, beta, y, ldy);
            long work = (long)m * w.Rows * w.Columns;
            if (threads > 1 && work >= ParallelWork && panels > 1) ParallelRange.For(panels, 1, ref job);
            else job.Run(0, panels);
        }
    }

    private readonly struct Job(int m, int n, int groups, float* x, int stride, sbyte* q, float* scales, float beta, float* y, int ldy)
        : IRangeJob
    {
        public void Run(int start, int end)
        {
            long panelBytes = (long)groups * Int8Panels.Rows * Int8Panels.Group;
            for (int p = start; p < end; p++)
                for (int i = 0; i < m; i++) Panel(q + p * panelBytes, groups, x + (nint)i * stride, p, i);
        }

        // Panel p (16 weight rows) against activation row i: per group of 4 columns, the 64 bytes are 16 rows × 4 values;
        // sums[j] holds rows 2j and 2j + 1, each as 4 partial sums (one per column of the group).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Panel(sbyte* w, int groups, float* row, int p, int i)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default,
                s7 = default;
            for (int g = 0; g < groups; g++, w += 64)
            {
                var v = Vector128.Load(row + 4 * g);
                var xx = Vector256.Create(v, v);                                              // x[4g..4g+3] twice
                s0 = Fma.MultiplyAdd(Widen(w), xx, s0);
                s1 = Fma.MultiplyAdd(Widen(w + 8), xx, s1);
                s2 = Fma.MultiplyAdd(Widen(w + 16), xx, s2);
                s3 = Fma.MultiplyAdd(Widen(w + 24), xx, s3);
                s4 = Fma.MultiplyAdd(Widen(w + 32), xx, s4);
                s5 = Fma.MultiplyAdd(Widen(w + 40), xx, s5);
                s6 = Fma.MultiplyAdd(Widen(w + 48), xx, s6);
                s7 = Fma.MultiplyAdd(Widen(w + 56), xx, s7);
            }
            Store(Rows8(s0, s1, s2, s3), p, i, 0);
            Store(Rows8(s4, s5, s6, s7), p, i, 8);
        }

        // y[i, 16p + first + l] = s_w·sum + β·y for the rows below n.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Store(Vector256<float> sums, int p, int i, int first)
        {
            int n0 = p * Int8Panels.Rows + first, count = Math.Min(8, n - n0);
            if (count <= 0) return;
            var values = sums * Vector256.Load(scales + n0);
            float* target = y + (nint)i * ldy + n0;
            if (count == 8)
            {
                if (beta != 0) values += Vector256.Load(target) * beta;
                values.Store(target);
                return;
            }
            for (int l = 0; l < count; l++) target[l] = beta == 0 ? values[l] : values[l] + beta * target[l];
        }
    }

    // 8 int8 weights as float32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(sbyte* w) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w));

    // Four accumulators of two rows × 4 partial sums each → the 8 rows' totals, in row order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Rows8(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var ab = Avx.HorizontalAdd(a, b);                  // [r0, r0, r2, r2 | r1, r1, r3, r3] (pairs of partial sums)
        var cd = Avx.HorizontalAdd(c, d);                  // [r4, r4, r6, r6 | r5, r5, r7, r7]
        var all = Avx.HorizontalAdd(ab, cd);               // [r0, r2, r4, r6 | r1, r3, r5, r7]
        return Avx2.PermuteVar8x32(all, Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
    }
}
