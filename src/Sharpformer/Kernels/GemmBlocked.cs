using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// The Goto/BLIS loop nest around one micro-kernel: for each N block (NC) and K block (KC) pack B, for each
/// M block (MC) pack A, then sweep the micro-tiles. Multithreading gives each thread a slab of C (rows or
/// columns) that it packs and computes alone, which measured faster here than sharing a packed B.
/// </summary>
internal static unsafe class GemmBlocked<TKernel> where TKernel : IGemmKernel
{
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
                if (g.B16 is not null)   // bf16 mixed precision: an activation kept packed, widened here
                    GemmPacking.PackBWidening<TKernel>(g.B16At(pc, jc), g.Ldb, kc, nc, packedB);
                else
                    GemmPacking.PackB<TKernel>(g.TransB, g.BAt(pc, jc), g.Ldb, kc, nc, packedB);
                if (g.RoundB)   // bf16 mixed precision: B's working copy made one cache-resident block at a time
                {
                    var block = new Span<float>(packedB, (int)((nint)kc * RoundUp(nc, nr)));
                    BFloat16.Round(block, block);
                }
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

    /// <summary>Computes the product on up to <paramref name="threads"/> threads, each owning a slab of C.</summary>
    public static void RunParallel(in GemmProblem g, int threads)
    {
        // Split the dimension with more micro-tiles; each part gets whole tiles.
        int mTiles = (g.M + TKernel.MR - 1) / TKernel.MR;
        int nTiles = (g.N + TKernel.NR - 1) / TKernel.NR;
        bool byRows = mTiles >= nTiles;
        var split = new Split(g, byRows, byRows ? mTiles : nTiles, Math.Min(threads, Math.Max(mTiles, nTiles)));
        WorkerPool.For(split.Parts, threads, &RunPart, &split);
    }

    private readonly struct Split(GemmProblem problem, bool byRows, int tiles, int parts)
    {
        public readonly GemmProblem Problem = problem;
        public readonly bool ByRows = byRows;
        public readonly int Tiles = tiles, Parts = parts;
    }

    private static void RunPart(int part, void* state)
    {
        ref readonly Split s = ref *(Split*)state;
        int t0 = (int)((long)s.Tiles * part / s.Parts), t1 = (int)((long)s.Tiles * (part + 1) / s.Parts);
        if (s.ByRows)
            Run(s.Problem.Rows(t0 * TKernel.MR, Math.Min(t1 * TKernel.MR, s.Problem.M)));
        else
            Run(s.Problem.Columns(t0 * TKernel.NR, Math.Min(t1 * TKernel.NR, s.Problem.N)));
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
