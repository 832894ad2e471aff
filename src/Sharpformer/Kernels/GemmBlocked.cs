using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// The Goto/BLIS loop nest around one micro-kernel: for each N block (NC) and K block (KC) pack B, for each
/// M block (MC) pack A, then sweep the micro-tiles. Several threads share C's rows (or columns) in units handed
/// out as they free up; each thread packs the operand every unit reads once, at its first unit.
/// </summary>
/// <remarks>
/// The K blocks depend on k alone and every element of C sums them in the same order, so the bits of C do not
/// depend on the thread count or on which thread computed which unit.
/// </remarks>
internal static unsafe class GemmBlocked<TKernel> where TKernel : IGemmKernel
{
    // Units of C per thread: enough that a thread slowed down (by another process, or a late wake-up) hands
    // its last units to the others, few enough that packing the shared operand stays cheap beside them.
    private const int UnitsPerThread = 2;

    // Units are at least an M block of rows (MC) or this many columns, so a unit reuses what it reads as Run does.
    private const int MinUnitColumns = 256;

    // Shared operands up to this many floats (8 MB) are packed whole by each thread; larger ones split C in slabs.
    private const long MaxShared = 1 << 21;

    /// <summary>Computes the product on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmProblem g)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int mcBlock = BlockSize(g.M, TKernel.MC, mr);
        int kcBlock = BlockSize(g.K, TKernel.KC, 1);
        int ncBlock = BlockSize(g.N, TKernel.NC, nr);

        // Workspace: A block [mcBlock, kcBlock] | B block [kcBlock, ncBlock] | edge tile [MR, NR].
        nint aFloats = RoundUp((nint)mcBlock * kcBlock, 16);
        nint bFloats = RoundUp((nint)kcBlock * ncBlock, 16);
        float* packedA = GemmWorkspace.Current.Get(aFloats + bFloats + mr * nr);
        float* packedB = packedA + aFloats;
        float* tile = packedB + bFloats;

        for (int jc = 0; jc < g.N; jc += ncBlock)
        {
            int nc = Math.Min(ncBlock, g.N - jc);
            for (int pc = 0; pc < g.K; pc += kcBlock)
            {
                int kc = Math.Min(kcBlock, g.K - pc);
                PackB(g, pc, jc, kc, nc, packedB);
                float beta = pc == 0 ? g.Beta : 1f;
                for (int ic = 0; ic < g.M; ic += mcBlock)
                {
                    int mc = Math.Min(mcBlock, g.M - ic);
                    GemmPacking.PackA<TKernel>(g.TransA, g.AAt(ic, pc), g.Lda, mc, kc, packedA);
                    GemmMacroKernel<TKernel>.Run(mc, nc, kc, g.Alpha, PanelOperand.Packed(packedA, kc, mr),
                        PanelOperand.Packed(packedB, kc, nr), beta, g.C + ic * g.Ldc + jc, g.Ldc, tile);
                }
            }
        }
    }

    /// <summary>
    /// Computes the product on up to <paramref name="threads"/> threads: C is cut into units of whole rows (or columns,
    /// where it has more column tiles), <see cref="UnitsPerThread"/> per thread, handed out as threads free up.
    /// </summary>
    public static void RunParallel(in GemmProblem g, int threads)
    {
        int mTiles = (g.M + TKernel.MR - 1) / TKernel.MR;
        int nTiles = (g.N + TKernel.NR - 1) / TKernel.NR;
        bool byRows = mTiles >= nTiles;
        int tiles = byRows ? mTiles : nTiles;
        // Units of rows share all of B, of columns all of A. Where that is too large to pack per thread, or C too small
        // for several units per thread, each thread takes one slab and packs only what the slab reads.
        int minTiles = byRows ? TKernel.MC / TKernel.MR : MinUnitColumns / TKernel.NR;
        int perThread = SharedFloats(g, byRows) <= MaxShared ? Math.Clamp(tiles / (threads * minTiles), 1, UnitsPerThread) : 1;
        var split = new Split(g, byRows, tiles, Math.Min(tiles, threads * perThread), shared: perThread > 1);
        WorkerPool.For(split.Units, threads, &RunUnit, &split);
    }

    private readonly struct Split
    {
        public readonly GemmProblem Problem;
        public readonly bool ByRows, Shared;
        public readonly int Tiles, Units;
        public readonly int McBlock, KcBlock, NcBlock;
        public readonly long Tag;   // names this product in the workspace of a thread that packed its shared operand

        public Split(in GemmProblem problem, bool byRows, int tiles, int units, bool shared)
        {
            Problem = problem;
            ByRows = byRows;
            Shared = shared;
            Tiles = tiles;
            Units = units;
            KcBlock = BlockSize(problem.K, TKernel.KC, 1);
            McBlock = BlockSize(problem.M, TKernel.MC, TKernel.MR);
            NcBlock = BlockSize(problem.N, TKernel.NC, TKernel.NR);
            Tag = shared ? GemmWorkspace.NextTag() : 0;
        }
    }

    // Floats of the operand every unit reads, packed whole: op(B) [K, N] for units of rows, op(A) [M, K] for columns.
    private static long SharedFloats(in GemmProblem g, bool byRows) =>
        (long)g.K * (byRows ? RoundUp(g.N, TKernel.NR) : RoundUp(g.M, TKernel.MR));

    private static void RunUnit(int unit, void* state)
    {
        ref readonly Split s = ref *(Split*)state;
        ref readonly GemmProblem g = ref s.Problem;
        int t0 = (int)((long)s.Tiles * unit / s.Units), t1 = (int)((long)s.Tiles * (unit + 1) / s.Units);
        if (!s.Shared)
        {
            Run(s.ByRows ? g.Rows(t0 * TKernel.MR, Math.Min(t1 * TKernel.MR, g.M))
                : g.Columns(t0 * TKernel.NR, Math.Min(t1 * TKernel.NR, g.N)));
            return;
        }
        // The thread's first unit of this product packs the shared operand, one block just before its first use.
        var workspace = GemmWorkspace.Shared;
        float* shared = workspace.Get((nint)SharedFloats(g, s.ByRows));
        bool pack = workspace.Tag != s.Tag;
        workspace.Tag = s.Tag;
        if (s.ByRows)
            RunRows(s, t0 * TKernel.MR, Math.Min(t1 * TKernel.MR, g.M), shared, pack);
        else
            RunColumns(s, t0 * TKernel.NR, Math.Min(t1 * TKernel.NR, g.N), shared, pack);
    }

    // Rows [i0, i1) of C against all of B, packed whole: the block (jc, pc) at jc·K + pc·RoundUp(nc, NR).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRows(in Split s, int i0, int i1, float* packedWholeB, bool pack)
    {
        ref readonly GemmProblem g = ref s.Problem;
        int mr = TKernel.MR, nr = TKernel.NR;
        int mcBlock = BlockSize(i1 - i0, TKernel.MC, mr);
        nint aFloats = RoundUp((nint)mcBlock * s.KcBlock, 16);
        float* packedA = GemmWorkspace.Current.Get(aFloats + mr * nr);   // A block [mcBlock, kcBlock] | edge tile
        float* tile = packedA + aFloats;
        for (int jc = 0; jc < g.N; jc += s.NcBlock)
        {
            int nc = Math.Min(s.NcBlock, g.N - jc);
            for (int pc = 0; pc < g.K; pc += s.KcBlock)
            {
                int kc = Math.Min(s.KcBlock, g.K - pc);
                float* packedB = packedWholeB + (nint)jc * g.K + (nint)pc * RoundUp(nc, nr);
                if (pack)
                    PackB(g, pc, jc, kc, nc, packedB);
                float beta = pc == 0 ? g.Beta : 1f;
                for (int ic = i0; ic < i1; ic += mcBlock)
                {
                    int mc = Math.Min(mcBlock, i1 - ic);
                    GemmPacking.PackA<TKernel>(g.TransA, g.AAt(ic, pc), g.Lda, mc, kc, packedA);
                    GemmMacroKernel<TKernel>.Run(mc, nc, kc, g.Alpha, PanelOperand.Packed(packedA, kc, mr),
                        PanelOperand.Packed(packedB, kc, nr), beta, g.C + ic * g.Ldc + jc, g.Ldc, tile);
                }
            }
        }
    }

    // Columns [j0, j1) of C against all of A, packed whole: the block (ic, pc) at ic·K + pc·RoundUp(mc, MR).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunColumns(in Split s, int j0, int j1, float* packedWholeA, bool pack)
    {
        ref readonly GemmProblem g = ref s.Problem;
        int mr = TKernel.MR, nr = TKernel.NR;
        int ncBlock = BlockSize(j1 - j0, TKernel.NC, nr);
        nint bFloats = RoundUp((nint)s.KcBlock * ncBlock, 16);
        float* packedB = GemmWorkspace.Current.Get(bFloats + mr * nr);   // B block [kcBlock, ncBlock] | edge tile
        float* tile = packedB + bFloats;
        for (int jc = j0; jc < j1; jc += ncBlock)
        {
            int nc = Math.Min(ncBlock, j1 - jc);
            for (int pc = 0; pc < g.K; pc += s.KcBlock)
            {
                int kc = Math.Min(s.KcBlock, g.K - pc);
                PackB(g, pc, jc, kc, nc, packedB);
                float beta = pc == 0 ? g.Beta : 1f;
                for (int ic = 0; ic < g.M; ic += s.McBlock)
                {
                    int mc = Math.Min(s.McBlock, g.M - ic);
                    float* packedA = packedWholeA + (nint)ic * g.K + (nint)pc * RoundUp(mc, mr);
                    if (pack && jc == j0)
                        GemmPacking.PackA<TKernel>(g.TransA, g.AAt(ic, pc), g.Lda, mc, kc, packedA);
                    GemmMacroKernel<TKernel>.Run(mc, nc, kc, g.Alpha, PanelOperand.Packed(packedA, kc, mr),
                        PanelOperand.Packed(packedB, kc, nr), beta, g.C + ic * g.Ldc + jc, g.Ldc, tile);
                }
            }
        }
    }

    // op(B)[pc.., jc..] as one packed block [kc, nc], widened from or rounded to bfloat16 where the product asks.
    private static void PackB(in GemmProblem g, int pc, int jc, int kc, int nc, float* dst)
    {
        if (g.B16 is not null)   // bf16 mixed precision: an activation kept packed, widened here
            GemmPacking.PackBWidening<TKernel>(g.B16At(pc, jc), g.Ldb, kc, nc, dst);
        else
            GemmPacking.PackB<TKernel>(g.TransB, g.BAt(pc, jc), g.Ldb, kc, nc, dst);
        if (g.RoundB)   // bf16 mixed precision: B's working copy made one cache-resident block at a time
        {
            var block = new Span<float>(dst, (int)((nint)kc * RoundUp(nc, TKernel.NR)));
            BFloat16.Round(block, block);
        }
    }

    // Splits `total` into equal blocks of at most `max` (when possible), each a multiple of `align`.
    private static int BlockSize(int total, int max, int align)
    {
        int blocks = (total + max - 1) / max;
        int size = (total + blocks - 1) / blocks;
        return (int)RoundUp(size, align);
    }

    private static nint RoundUp(nint value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
