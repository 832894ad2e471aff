using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// Products with an int8 weight matrix, y[m, n] = x[m, k]·Wᵀ + β·y with W = scale ⊙ q: [n, k] (a quantized
/// Linear layer). Each activation row is quantized on the fly (s_x = max |x| / 127, stored plus 128 as unsigned
/// bytes) and VPDPBUSD adds four byte products per int32 lane, so
/// y[i, j] = s_x·s_j·(Σ_c u[i, c]·q[j, c] − 128·Σ_c q[j, c]). Measured on the decoder's products of <c>big</c>
/// (1 thread): 3.9× the float32 GEMM at 1 row, 3.7× at 4, 1.3× at 256; converting the int8 weights to float32
/// for FMAs instead gave 2.3× at 1 row and 1.1× at 4. Without AVX-VNNI, up to <see cref="Int8FewRows.MaxRows"/>
/// rows take <see cref="Int8FewRows"/> (weights widened to float32 in registers), and more rows turn blocks of the weights
/// back into float32 for the float GEMM.
/// </summary>
internal static unsafe class Int8Gemm
{
    // Panels turned into float32 per product of the float path: [k, 128] per block.
    private const int DequantizedPanels = 8;

    // From this many multiply-adds another thread pays for its wake-up (as GemmVector's ParallelWork).
    private const long ParallelWork = 1L << 16;

    /// <summary>Whether this CPU has the int8 dot-product instruction (AVX-VNNI; the rest of the path uses AVX-512).</summary>
    public static bool DirectSupported => AvxVnni.IsSupported && Avx512F.IsSupported;

    [ThreadStatic]
    private static float[]? t_dequantized;

    [ThreadStatic]
    private static byte[]? t_activations;

    [ThreadStatic]
    private static float[]? t_scales;

    /// <summary>y: [m, n] (row stride ldy) = x: [m, k] (row stride ldx)·Wᵀ + β·y, on the int8 path where the CPU has it.</summary>
    public static void Run(int m, Int8Operand w, float* x, int ldx, float beta, float* y, int ldy)
    {
        if (DirectSupported) RunDirect(m, w, x, ldx, beta, y, ldy, Parallelism.Threads);
        else if (m <= Int8FewRows.MaxRows && Int8FewRows.Supported) Int8FewRows.Run(m, w, x, ldx, beta, y, ldy, Parallelism.Threads);
        else RunDequantized(m, w, x, ldx, beta, y, ldy);
    }

    /// <summary>The int8 path (needs <see cref="DirectSupported"/>), for any m.</summary>
    public static void RunDirect(int m, Int8Operand w, float* x, int ldx, float beta, float* y, int ldy, int threads)
    {
        int groups = Int8Panels.Groups(w.Columns), stride = groups * Int8Panels.Group;
        if (t_activations is null || t_activations.Length < (long)m * stride)
            t_activations = GC.AllocateUninitializedArray<byte>(m * stride, pinned: true);
        if (t_scales is null || t_scales.Length < m) t_scales = new float[Math.Max(m, 64)];
        fixed (byte* u = t_activations)
        fixed (float* sx = t_scales)
        fixed (sbyte* q = w.Panels)
        fixed (float* sw = w.Scales)
        fixed (int* sums = w.RowSums)
        {
            for (int i = 0; i < m; i++)
            {
                sx[i] = Int8Rows.QuantizeOffset(x + (nint)i * ldx, w.Columns, u + (nint)i * stride);
                new Span<byte>(u + (nint)i * stride + w.Columns, stride - w.Columns).Fill(128);
            }
            int panels = Int8Panels.Count(w.Rows);
            var job = new DirectJob(new Operands(m, w.Rows, groups, u, stride, sx, q, sw, sums, beta, y, ldy));
            long work = (long)m * w.Rows * w.Columns;
            int tasks = threads > 1 && work >= ParallelWork ? Math.Min(threads, (panels + 3) / 4) : 1;
            if (tasks > 1) ParallelRange.For((panels + 3) / 4, Math.Max(1, (panels + 3) / 4 / tasks), ref job);
            else job.Run(0, (panels + 3) / 4);
        }
    }

    /// <summary>The float path: blocks of 128 rows of W turned into float32 [k, 128], then the float GEMM.</summary>
    public static void RunDequantized(int m, Int8Operand w, float* x, int ldx, float beta, float* y, int ldy)
    {
        int k = w.Columns, width = DequantizedPanels * Int8Panels.Rows, panels = Int8Panels.Count(w.Rows);
        int size = k * width;
        if (t_dequantized is null || t_dequantized.Length < size) t_dequantized = GC.AllocateUninitializedArray<float>(size, pinned: true);
        fixed (float* block = t_dequantized)
        fixed (sbyte* q = w.Panels)
        fixed (float* sw = w.Scales)
            for (int p0 = 0; p0 < panels; p0 += DequantizedPanels)
            {
                int count = Math.Min(DequantizedPanels, panels - p0), n0 = p0 * Int8Panels.Rows;
                Int8Panels.DequantizeTransposed(q, sw, k, p0, count, block, width);
                Gemm.Sgemm(false, false, m, Math.Min(count * Int8Panels.Rows, w.Rows - n0), k, 1f, x, ldx, block, width, beta, y + n0, ldy);
            }
    }

    // What every piece of a direct product reads: u: [m, stride] activation bytes, sx: [m] their scales; q: the
    // weight panels, sw, sums: [panels·16] the weights' scales and row sums; y: [m, n] at row stride ldy.
    private readonly struct Operands(int m, int n, int groups, byte* u, int stride, float* sx, sbyte* q, float* sw, int* sums,
        float beta, float* y, int ldy)
    {
        public readonly int M = m, N = n, Groups = groups, Stride = stride, Ldy = ldy;
        public readonly byte* U = u;
        public readonly float* Sx = sx, Sw = sw, Y = y;
        public readonly sbyte* Q = q;
        public readonly int* Sums = sums;
        public readonly float Beta = beta;
    }

    // Blocks of 4 panels (64 weight rows), each against every activation row: pairs of rows two panels at a
    // time, a last odd row four panels at a time (8 accumulators either way: VEX-encoded VPDPBUSD reaches only
    // 16 ymm registers).
    private readonly struct DirectJob(Operands o) : IRangeJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int panels = Int8Panels.Count(o.N);
            for (int block = start; block < end; block++)
            {
                int p0 = 4 * block;
                if (p0 + 4 > panels)
                {
                    for (int p = p0; p < panels; p++)
                        for (int i = 0; i < o.M; i++) Panel(o, p, i);
                    continue;
                }
                int i0 = 0;
                for (; i0 + 2 <= o.M; i0 += 2)
                {
                    TwoRows(o, p0, i0);
                    TwoRows(o, p0 + 2, i0);
                }
                if (i0 < o.M) OneRow(o, p0, i0);
            }
        }
    }

    // Panels [p, p + 2) against activation rows i and i + 1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRows(in Operands o, int p, int i)
    {
        long panelBytes = (long)o.Groups * 64;
        sbyte* w0 = o.Q + p * panelBytes, w1 = w0 + panelBytes;
        byte* u0 = o.U + (nint)i * o.Stride, u1 = u0 + o.Stride;
        Vector256<int> a0l = default, a0h = default, a1l = default, a1h = default;   // row i: panels p (low, high rows), p + 1
        Vector256<int> b0l = default, b0h = default, b1l = default, b1h = default;   // row i + 1
        for (int g = 0; g < o.Groups; g++)
        {
            var q0l = Vector256.Load(w0 + 64 * g);
            var q0h = Vector256.Load(w0 + 64 * g + 32);
            var q1l = Vector256.Load(w1 + 64 * g);
            var q1h = Vector256.Load(w1 + 64 * g + 32);
            var x = Vector256.Create(*(int*)(u0 + 4 * g)).AsByte();
            a0l = AvxVnni.MultiplyWideningAndAdd(a0l, x, q0l);
            a0h = AvxVnni.MultiplyWideningAndAdd(a0h, x, q0h);
            a1l = AvxVnni.MultiplyWideningAndAdd(a1l, x, q1l);
            a1h = AvxVnni.MultiplyWideningAndAdd(a1h, x, q1h);
            x = Vector256.Create(*(int*)(u1 + 4 * g)).AsByte();
            b0l = AvxVnni.MultiplyWideningAndAdd(b0l, x, q0l);
            b0h = AvxVnni.MultiplyWideningAndAdd(b0h, x, q0h);
            b1l = AvxVnni.MultiplyWideningAndAdd(b1l, x, q1l);
            b1h = AvxVnni.MultiplyWideningAndAdd(b1h, x, q1h);
        }
        Store(o, i, p, a0l, a0h);
        Store(o, i, p + 1, a1l, a1h);
        Store(o, i + 1, p, b0l, b0h);
        Store(o, i + 1, p + 1, b1l, b1h);
    }

    // Panels [p, p + 4) against activation row i.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow(in Operands o, int p, int i)
    {
        long panelBytes = (long)o.Groups * 64;
        sbyte* w0 = o.Q + p * panelBytes, w1 = w0 + panelBytes, w2 = w1 + panelBytes, w3 = w2 + panelBytes;
        byte* u = o.U + (nint)i * o.Stride;
        Vector256<int> a0l = default, a0h = default, a1l = default, a1h = default;
        Vector256<int> a2l = default, a2h = default, a3l = default, a3h = default;
        for (int g = 0; g < o.Groups; g++)
        {
            var x = Vector256.Create(*(int*)(u + 4 * g)).AsByte();
            a0l = AvxVnni.MultiplyWideningAndAdd(a0l, x, Vector256.Load(w0 + 64 * g));
            a0h = AvxVnni.MultiplyWideningAndAdd(a0h, x, Vector256.Load(w0 + 64 * g + 32));
            a1l = AvxVnni.MultiplyWideningAndAdd(a1l, x, Vector256.Load(w1 + 64 * g));
            a1h = AvxVnni.MultiplyWideningAndAdd(a1h, x, Vector256.Load(w1 + 64 * g + 32));
            a2l = AvxVnni.MultiplyWideningAndAdd(a2l, x, Vector256.Load(w2 + 64 * g));
            a2h = AvxVnni.MultiplyWideningAndAdd(a2h, x, Vector256.Load(w2 + 64 * g + 32));
            a3l = AvxVnni.MultiplyWideningAndAdd(a3l, x, Vector256.Load(w3 + 64 * g));
            a3h = AvxVnni.MultiplyWideningAndAdd(a3h, x, Vector256.Load(w3 + 64 * g + 32));
        }
        Store(o, i, p, a0l, a0h);
        Store(o, i, p + 1, a1l, a1h);
        Store(o, i, p + 2, a2l, a2h);
        Store(o, i, p + 3, a3l, a3h);
    }

    // Panel p against activation row i (the last panels, fewer than 4).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel(in Operands o, int p, int i)
    {
        sbyte* w = o.Q + p * (long)o.Groups * 64;
        byte* u = o.U + (nint)i * o.Stride;
        Vector256<int> low = default, high = default;
        for (int g = 0; g < o.Groups; g++)
        {
            var x = Vector256.Create(*(int*)(u + 4 * g)).AsByte();
            low = AvxVnni.MultiplyWideningAndAdd(low, x, Vector256.Load(w + 64 * g));
            high = AvxVnni.MultiplyWideningAndAdd(high, x, Vector256.Load(w + 64 * g + 32));
        }
        Store(o, i, p, low, high);
    }

    // y[i, 16p + l] = s_x[i]·s_w[16p + l]·(acc[l] − 128·Σq[16p + l]) + β·y, for the panel's rows below n.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in Operands o, int i, int p, Vector256<int> low, Vector256<int> high)
    {
        int n0 = p * Int8Panels.Rows, count = Math.Min(Int8Panels.Rows, o.N - n0);
        var acc = Vector512.Create(low, high);
        var sums = acc - Vector512.Load(o.Sums + n0) * 128;
        var values = Avx512F.ConvertToVector512Single(sums) * Vector512.Load(o.Sw + n0) * o.Sx[i];
        float* y = o.Y + (nint)i * o.Ldy + n0;
        if (count == Int8Panels.Rows)
        {
            if (o.Beta != 0) values += Vector512.Load(y) * o.Beta;
            Vector512.Store(values, y);
            return;
        }
        for (int l = 0; l < count; l++) y[l] = o.Beta == 0 ? values[l] : values[l] + o.Beta * y[l];
    }
}

/// <summary>
/// An int8 weight matrix as the kernels read it: <paramref name="panels"/> in the <see cref="Int8Panels"/> layout,
/// per row (padded to whole panels) its scale and the sum of its values.
/// </summary>
internal readonly struct Int8Operand(sbyte[] panels, float[] scales, int[] rowSums, int rows, int columns)
{
    public readonly sbyte[] Panels = panels;
    public readonly float[] Scales = scales;
    public readonly int[] RowSums = rowSums;
    public readonly int Rows = rows, Columns = columns;
}
