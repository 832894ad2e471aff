using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// Products of a few rows of activations with a weight matrix, C[m, n] = α·A[m, k]·B[n, k]ᵀ + β·C with
/// 20 ≤ m ≤ 32 (a short sequence at inference, e.g. encoding one sentence; below 20 rows the 32-wide tile
/// wastes too much of its arithmetic). The blocked path would
/// transpose all of B into panels for only m rows of use, which costs as much as the arithmetic. Here
/// the roles swap: Cᵀ = B·Aᵀ, A is packed once as a single [k, 32] panel, and the AVX-512 micro-kernel
/// reads 12 rows of B in place (each row contiguous in k), so the weights are read once and never copied.
/// </summary>
internal static unsafe class GemmFewRows
{
    private const int Rows = 12, Columns = 32, MinRows = 20;

    public static bool Handles(in GemmProblem g) =>
        GemmKernelAvx512.IsSupported && !g.TransA && g.TransB && g.M >= MinRows && g.M <= Columns && g.N >= 2 * Rows && g.K >= 16;

    // c: [m, n] = α·A[m, k]·B[n, k]ᵀ + β·c
    public static void Run(in GemmProblem g, int threads)
    {
        float* panel = GemmWorkspace.Current.Get((nint)g.K * Columns);           // Aᵀ: [k, 32], zero-padded
        GemmPacking.PackB<GemmKernelAvx512>(true, g.A, g.Lda, g.K, g.M, panel);
        var job = new BlocksJob(g, panel);
        int blocks = (g.N + Rows - 1) / Rows;
        if (threads > 1 && g.Work >= Gemm.ParallelWork) ParallelRange.For(blocks, 1, ref job);
        else job.Run(0, blocks);
    }

    // Blocks of 12 rows of B, i.e. 12 columns of C.
    private readonly struct BlocksJob(GemmProblem g, float* panel) : IRangeJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            float* tile = stackalloc float[Rows * Columns];
            for (int block = start; block < end; block++)
            {
                int n0 = block * Rows, count = Math.Min(Rows, g.N - n0);
                if (count == Rows) Tile(g.K, g.B + n0 * g.Ldb, g.Ldb, panel, tile);
                else LastTile(g, n0, count, tile);
                Store(g, n0, count, tile);
            }
        }
    }

    // tile[r, j] = Σ_p b[r·ldb + p]·panel[p, j] for 12 rows of b read in place
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(int k, float* b, nint ldb, float* panel, float* tile)
    {
        float* b0 = b, b4 = b + 4 * ldb, b8 = b + 8 * ldb;
        nint l2 = 2 * ldb, l3 = 3 * ldb;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        for (int p = 0; p < k; p++, panel += Columns)
        {
            var a0 = Vector512.LoadAligned(panel);
            var a1 = Vector512.LoadAligned(panel + 16);
            Vector512<float> x;
            x = Vector512.Create(b0[p]); c0_0 = Avx512F.FusedMultiplyAdd(x, a0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(x, a1, c0_1);
            x = Vector512.Create(b0[ldb + p]); c1_0 = Avx512F.FusedMultiplyAdd(x, a0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(x, a1, c1_1);
            x = Vector512.Create(b0[l2 + p]); c2_0 = Avx512F.FusedMultiplyAdd(x, a0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(x, a1, c2_1);
            x = Vector512.Create(b0[l3 + p]); c3_0 = Avx512F.FusedMultiplyAdd(x, a0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(x, a1, c3_1);
            x = Vector512.Create(b4[p]); c4_0 = Avx512F.FusedMultiplyAdd(x, a0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(x, a1, c4_1);
            x = Vector512.Create(b4[ldb + p]); c5_0 = Avx512F.FusedMultiplyAdd(x, a0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(x, a1, c5_1);
            x = Vector512.Create(b4[l2 + p]); c6_0 = Avx512F.FusedMultiplyAdd(x, a0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(x, a1, c6_1);
            x = Vector512.Create(b4[l3 + p]); c7_0 = Avx512F.FusedMultiplyAdd(x, a0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(x, a1, c7_1);
            x = Vector512.Create(b8[p]); c8_0 = Avx512F.FusedMultiplyAdd(x, a0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(x, a1, c8_1);
            x = Vector512.Create(b8[ldb + p]); c9_0 = Avx512F.FusedMultiplyAdd(x, a0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(x, a1, c9_1);
            x = Vector512.Create(b8[l2 + p]); c10_0 = Avx512F.FusedMultiplyAdd(x, a0, c10_0);
            c10_1 = Avx512F.FusedMultiplyAdd(x, a1, c10_1);
            x = Vector512.Create(b8[l3 + p]); c11_0 = Avx512F.FusedMultiplyAdd(x, a0, c11_0);
            c11_1 = Avx512F.FusedMultiplyAdd(x, a1, c11_1);
        }
        c0_0.Store(tile); c0_1.Store(tile + 16); c1_0.Store(tile + 32); c1_1.Store(tile + 48);
        c2_0.Store(tile + 64); c2_1.Store(tile + 80); c3_0.Store(tile + 96); c3_1.Store(tile + 112);
        c4_0.Store(tile + 128); c4_1.Store(tile + 144); c5_0.Store(tile + 160); c5_1.Store(tile + 176);
        c6_0.Store(tile + 192); c6_1.Store(tile + 208); c7_0.Store(tile + 224); c7_1.Store(tile + 240);
        c8_0.Store(tile + 256); c8_1.Store(tile + 272); c9_0.Store(tile + 288); c9_1.Store(tile + 304);
        c10_0.Store(tile + 320); c10_1.Store(tile + 336); c11_0.Store(tile + 352); c11_1.Store(tile + 368);
    }

    // The last, partial block: one dot product per (row of B, row of A)
    private static void LastTile(in GemmProblem g, int n0, int count, float* tile)
    {
        for (int r = 0; r < count; r++)
        {
            var row = new ReadOnlySpan<float>(g.B + (n0 + r) * g.Ldb, g.K);
            for (int j = 0; j < g.M; j++)
                tile[r * Columns + j] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(g.A + j * g.Lda, g.K));
        }
    }

    // C[j, n0 + r] = α·tile[r, j] + β·C[j, n0 + r] for the m rows and `count` columns
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Store(in GemmProblem g, int n0, int count, float* tile)
    {
        for (int j = 0; j < g.M; j++)
        {
            float* c = g.C + j * g.Ldc + n0;
            for (int r = 0; r < count; r++)
                c[r] = g.Beta == 0 ? g.Alpha * tile[r * Columns + j] : g.Alpha * tile[r * Columns + j] + g.Beta * c[r];
        }
    }
}
