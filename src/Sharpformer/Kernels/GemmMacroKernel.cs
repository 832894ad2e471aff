using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// One operand of <see cref="GemmMacroKernel{TKernel}"/> as the micro-kernel reads it: element (i, p), i a row of
/// op(A) or a column of op(B) and p the step along k, at <c>Data + i·IndexStep + p·KStep</c>. Packed panels are
/// zero-padded past the matrix edge; an operand read where it lies is copied only where a panel is partial.
/// </summary>
internal readonly unsafe struct PanelOperand
{
    public readonly float* Data;
    public readonly nint KStep, IndexStep, PanelStep;
    public readonly bool IsPacked;

    private PanelOperand(float* data, nint kStep, nint indexStep, nint panelStep, bool isPacked)
    {
        Data = data;
        KStep = kStep;
        IndexStep = indexStep;
        PanelStep = panelStep;
        IsPacked = isPacked;
    }

    /// <summary>Panels written by <see cref="GemmPacking"/>: [kc, width] each, one after another.</summary>
    public static PanelOperand Packed(float* panels, int kc, int width) => new(panels, width, 1, (nint)kc * width, true);

    /// <summary>A row-major matrix whose rows run across k (op(A) = Xᵀ or op(B) = X): element (i, p) at data + p·ld + i.</summary>
    public static PanelOperand KMajor(float* data, nint ld) => new(data, ld, 1, 0, false);

    /// <summary>A row-major matrix whose rows run along k, as A only (op(A) = X): element (i, p) at data + i·ld + p.</summary>
    public static PanelOperand RowMajor(float* data, nint ld) => new(data, 1, ld, 0, false);
}

/// <summary>
/// C[m, n] = α·op(A)·op(B) + β·C over micro-tiles, with the whole depth k in one pass (no K blocking):
/// the loop inside the Goto/BLIS blocks of <see cref="GemmBlocked{TKernel}"/>, and the tile products of
/// <see cref="FlashAttention"/>, whose operands are read where they lie or packed once and reused.
/// op(B) is packed or k-major; op(A) may also be row-major, read by the micro-kernel from MR rows at once.
/// </summary>
internal static unsafe class GemmMacroKernel<TKernel> where TKernel : IGemmKernel
{
    /// <summary>Floats of scratch <see cref="Run"/> needs for depth k: an edge tile and an edge panel per operand read in place.</summary>
    public static int Scratch(int k) => TKernel.MR * TKernel.NR + k * (TKernel.MR + TKernel.NR);

    /// <summary>Computes the product on the calling thread; <paramref name="scratch"/> holds <see cref="Scratch"/>(k) floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int m, int n, int k, float alpha, in PanelOperand a, in PanelOperand b, float beta, float* c, nint ldc,
        float* scratch)
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        float* tile = scratch, edgeA = tile + mr * nr, edgeB = edgeA + (nint)k * mr;
        // Rows of op(A) that whole panels cover; a partial panel read in place is copied (zero-padded) into edgeA.
        int wholeRows = a.IsPacked ? m : m / mr * mr;
        if (wholeRows < m)
        {
            bool kMajor = a.IndexStep == 1;
            GemmPacking.PackA<TKernel>(kMajor, a.Data + wholeRows * a.IndexStep, kMajor ? a.KStep : a.IndexStep, m - wholeRows, k, edgeA);
        }
        for (int jr = 0; jr < n; jr += nr)
        {
            int cols = Math.Min(nr, n - jr);
            float* bPanel = b.IsPacked ? b.Data + jr / nr * b.PanelStep : b.Data + jr;
            nint bStep = b.KStep;
            if (!b.IsPacked && (cols < nr || ConflictingRows(b.KStep) && m > mr))
            {
                // A partial panel, or one whose rows would share a few L1 sets (and be fetched again for every
                // A panel): copied once, zero-padded.
                GemmPacking.PackB<TKernel>(false, bPanel, b.KStep, k, cols, edgeB);
                bPanel = edgeB;
                bStep = nr;
            }
            for (int ir = 0; ir < m; ir += mr)
            {
                int rows = Math.Min(mr, m - ir);
                bool whole = ir < wholeRows;
                float* aPanel = !whole ? edgeA : a.IsPacked ? a.Data + ir / mr * a.PanelStep : a.Data + ir * a.IndexStep;
                nint aStep = whole ? a.KStep : mr, aRowStep = whole ? a.IndexStep : 1;
                float* cTile = c + ir * ldc + jr;
                if (rows == mr && cols == nr)
                {
                    TKernel.Run(k, aPanel, aStep, aRowStep, bPanel, bStep, cTile, ldc, alpha, beta);
                }
                else
                {
                    TKernel.Run(k, aPanel, aStep, aRowStep, bPanel, bStep, tile, nr, 1f, 0f);
                    WriteEdge(tile, nr, cTile, ldc, rows, cols, alpha, beta);
                }
            }
        }
    }

    // Rows a multiple of 1 KB apart (heads split off a projection: a row stride of H·d or 3·H·d floats) map to
    // a handful of the L1's 64 sets, so a [k, NR] panel read in place would not stay in L1.
    private static bool ConflictingRows(nint rowStride) => rowStride % 256 == 0;

    // C[rows, cols] = alpha·tile + beta·C for a partial tile; tile: [MR, NR] with row stride tileStride.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteEdge(float* tile, int tileStride, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++, tile += tileStride, c += ldc)
        {
            for (int j = 0; j < cols; j++)
                c[j] = beta == 0 ? alpha * tile[j] : alpha * tile[j] + beta * c[j];
        }
    }
}
