using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// Attention in tiles, after FlashAttention-2: the T×S score matrix is never stored. The forward pass
/// walks the keys one tile at a time for a tile of queries, keeping per query row a running maximum m and
/// a running sum l of exp(score − m), rescaling the output accumulated so far whenever m grows (the
/// online softmax); it saves only the per-row log-sum-exp L = m + ln l. The backward pass recomputes each
/// tile's probabilities as exp(score − L). Causal attention skips the tiles above the diagonal.
/// Forward work is split over (batch entry, head, query tile), backward over (batch entry, head): each
/// piece is computed whole by one thread in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class FlashAttention
{
    /// <summary>Queries per tile: a multiple of every micro-kernel's MR and NR (12 × 32, 6 × 16, 4 × 8): no edges in whole tiles.</summary>
    public const int QueryTile = 96;

    /// <summary>Keys per tile (a multiple of MR and NR, as <see cref="QueryTile"/>).</summary>
    public const int KeyTile = 96;

    // Below about this many multiply-adds per piece, waking another thread costs more than it saves.
    private const long PieceWork = 1 << 16;

    // Pieces per thread: handed out as threads free up, so a thread slowed by the rest of the machine does not
    // keep the other waiting at the join (at 1,024 tokens on 2 threads, 4–6% faster than two equal halves).
    private const int PiecesPerThread = 8;

    /// <summary>
    /// out = softmax(q·kᵀ·scale + mask, causal)·v with dropout on the probabilities; fills
    /// <paramref name="logSumExp"/>: [B, H, T], the per-row L that <see cref="Backward"/> needs.
    /// A query row that every key is blocked for gives NaN (as the reference op and torch do).
    /// </summary>
    public static void Forward(in AttentionProblem problem, bool causal, float* logSumExp)
    {
        switch (Gemm.Path)
        {
            case GemmPath.Avx512: Forward<GemmKernelAvx512>(problem, causal, logSumExp); break;
            case GemmPath.Avx2: Forward<GemmKernelAvx2>(problem, causal, logSumExp); break;
            default: Forward<GemmKernelPortable>(problem, causal, logSumExp); break;
        }
    }

    /// <summary>
    /// Gradients of q, k and v (each written only when asked for) from dOut: [B, H, T, dv], the forward
    /// output <paramref name="output"/> and its <paramref name="logSumExp"/>.
    /// </summary>
    public static void Backward(in AttentionProblem problem, bool causal, float* logSumExp, HeadMatrices output, HeadMatrices dOut,
                                HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV)
    {
        switch (Gemm.Path)
        {
            case GemmPath.Avx512: Backward<GemmKernelAvx512>(problem, causal, logSumExp, output, dOut, dQ, dK, dV); break;
            case GemmPath.Avx2: Backward<GemmKernelAvx2>(problem, causal, logSumExp, output, dOut, dQ, dK, dV); break;
            default: Backward<GemmKernelPortable>(problem, causal, logSumExp, output, dOut, dQ, dK, dV); break;
        }
    }

    /// <summary>
    /// Floats of scratch a thread holds (one buffer, sized for the larger pass) for heads of d and dv,
    /// <paramref name="t"/> queries and <paramref name="s"/> keys: the packed keys of one pair (forward) or
    /// its packed queries and output gradients and its dQ sums (backward), the score tiles, and D for every query.
    /// </summary>
    public static long ScratchPerThread(int d, int dv, int t, int s) => Gemm.Path switch
    {
        GemmPath.Avx512 => Math.Max(ForwardScratch<GemmKernelAvx512>(d, dv, s), BackwardScratch<GemmKernelAvx512>(d, dv, t)),
        GemmPath.Avx2 => Math.Max(ForwardScratch<GemmKernelAvx2>(d, dv, s), BackwardScratch<GemmKernelAvx2>(d, dv, t)),
        _ => Math.Max(ForwardScratch<GemmKernelPortable>(d, dv, s), BackwardScratch<GemmKernelPortable>(d, dv, t)),
    };

    // q panels of a tile, kᵀ panels of the pair, the score tile, O, the running max and sum, and the macro-kernel's edges.
    private static long ForwardScratch<TKernel>(int d, int dv, int s) where TKernel : IGemmKernel =>
        Size(QueryTile * d) + Size((long)Tiles(s, KeyTile) * KeyTile * d) + Size(QueryTile * KeyTile) + Size(QueryTile * dv)
        + 2 * Size(QueryTile) + Size(GemmMacroKernel<TKernel>.Scratch(Math.Max(d, KeyTile)));

    // kᵀ and vᵀ panels and the dK, dV sums of a key tile, q and dOut panels and the dQ sums of the pair, the P,
    // dropout(P) and dP/dS tiles, D for every query, and the macro-kernel's edges.
    private static long BackwardScratch<TKernel>(int d, int dv, int t) where TKernel : IGemmKernel =>
        2 * (Size(KeyTile * d) + Size(KeyTile * dv)) + 2 * Size((long)Tiles(t, QueryTile) * QueryTile * d)
        + Size((long)Tiles(t, QueryTile) * QueryTile * dv) + 3 * Size(QueryTile * KeyTile) + Size(t)
        + Size(GemmMacroKernel<TKernel>.Scratch(Math.Max(Math.Max(d, dv), Math.Max(QueryTile, KeyTile))));

    // A scratch piece of `floats`, rounded up to whole 64-byte lines so that every piece stays aligned.
    private static long Size(long floats) => (floats + 15) / 16 * 16;

    // The next piece of scratch; advances `free` past it.
    private static float* Take(ref float* free, long floats)
    {
        float* piece = free;
        free += Size(floats);
        return piece;
    }

    private static void Forward<TKernel>(in AttentionProblem problem, bool causal, float* logSumExp) where TKernel : IGemmKernel
    {
        int tiles = Tiles(problem.T, QueryTile);
        var job = new ForwardJob<TKernel>(problem, causal, logSumExp, tiles);
        long work = (long)Math.Min(QueryTile, problem.T) * problem.S * (problem.D + problem.Dv);
        ParallelRange.For(problem.Pairs * tiles, Grain(work, problem.Pairs * tiles), ref job, PiecesPerThread);
    }

    private static void Backward<TKernel>(in AttentionProblem problem, bool causal, float* logSumExp, HeadMatrices output,
        HeadMatrices dOut, HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV) where TKernel : IGemmKernel
    {
        var job = new BackwardJob<TKernel>(problem, causal, logSumExp, output, dOut, dQ, dK, dV);
        long work = 2L * problem.T * problem.S * (problem.D + problem.Dv);
        ParallelRange.For(problem.Pairs, Grain(work, problem.Pairs), ref job, PiecesPerThread);
    }

    private static int Tiles(int length, int tile) => (length + tile - 1) / tile;

    private static int Grain(long pieceWork, int pieces) => (int)Math.Clamp(PieceWork / Math.Max(1, pieceWork), 1, Math.Max(1, pieces));

    // The keys a query tile [i0, i0 + rows) may see: all, or for causal attention those up to its last row.
    private static int KeyEnd(bool causal, int s, int i0, int rows) => causal ? Math.Min(s, i0 + rows) : s;

    // Sets the scores of tile [i0.., j0..] above the diagonal (key after query) to −∞.
    private static void MaskAboveDiagonal(float* scores, int rows, int cols, int i0, int j0)
    {
        for (int r = 0; r < rows; r++)
        {
            int firstBlocked = Math.Max(0, i0 + r + 1 - j0);
            if (firstBlocked < cols) new Span<float>(scores + r * KeyTile + firstBlocked, cols - firstBlocked).Fill(float.NegativeInfinity);
        }
    }

    // scores: [rows, cols] at row stride KeyTile ← q_tile·k_tileᵀ·scale + mask, causal entries −∞;
    // qPanels: q_tile packed as A, kPanels: k_tileᵀ packed as B.
    private static void Scores<TKernel>(in AttentionProblem a, bool causal, int b, int h, int i0, int rows, int j0, int cols,
        float* qPanels, float* kPanels, float* scores, float* edges) where TKernel : IGemmKernel
    {
        GemmMacroKernel<TKernel>.Run(rows, cols, a.D, a.Scale, PanelOperand.Packed(qPanels, a.D, TKernel.MR),
            PanelOperand.Packed(kPanels, a.D, TKernel.NR), 0f, scores, KeyTile, edges);
        if (a.Mask.IsPresent)
            for (int r = 0; r < rows; r++) a.Mask.AddTo(new Span<float>(scores + r * KeyTile, cols), b, h, i0 + r, j0);
        if (causal && j0 + cols - 1 > i0) MaskAboveDiagonal(scores, rows, cols, i0, j0);
    }

    // Dropout of probability tile [rows, cols] (row stride KeyTile) into dst, with the reference op's element indices.
    private static void Drop(in AttentionProblem a, int pair, int i0, int rows, int j0, int cols, float* src, float* dst)
    {
        for (int r = 0; r < rows; r++)
        {
            int first = (pair * a.T + i0 + r) * a.S + j0;
            DropoutMask.Apply(new ReadOnlySpan<float>(src + r * KeyTile, cols), new Span<float>(dst + r * KeyTile, cols),
                a.DropKey, first, a.DropP);
        }
    }

    private readonly struct ForwardJob<TKernel>(AttentionProblem a, bool causal, float* logSumExp, int tiles) : IRangeJob
        where TKernel : IGemmKernel
    {
        // Called a few times per op, each call long: compiled fully optimised at once rather than replaced on the stack.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int d = a.D, dv = a.Dv;
            float* free = GemmWorkspace.Current.Get((nint)ForwardScratch<TKernel>(d, dv, a.S));
            float* qPanels = Take(ref free, QueryTile * d);                  // q_i as A panels
            float* kPanels = Take(ref free, (long)Tiles(a.S, KeyTile) * KeyTile * d);   // kᵀ as B panels, tile j at j0·d
            float* scores = Take(ref free, QueryTile * KeyTile);             // S, then P: [QueryTile, KeyTile]
            float* acc = Take(ref free, QueryTile * dv);                     // O accumulated: [QueryTile, dv]
            float* rowMax = Take(ref free, QueryTile), rowSum = Take(ref free, QueryTile);
            float* edges = free;
            int packedPair = -1;
            for (int item = start; item < end; item++)
            {
                int pair = item / tiles, i0 = item % tiles * QueryTile, rows = Math.Min(QueryTile, a.T - i0);
                int b = pair / a.Heads, h = pair % a.Heads;
                if (pair != packedPair)
                {
                    // The query tiles of a pair are consecutive items: its keys are packed once for all of them.
                    for (int j0 = 0; j0 < a.S; j0 += KeyTile)
                        GemmPacking.PackB<TKernel>(true, a.K.At(b, h) + (nint)j0 * a.K.RowStride, a.K.RowStride, d,
                            Math.Min(KeyTile, a.S - j0), kPanels + (nint)j0 * d);
                    packedPair = pair;
                }
                // q_i is packed once for all its key tiles; P (used once) is read where it lies.
                GemmPacking.PackA<TKernel>(false, a.Q.At(b, h) + (nint)i0 * a.Q.RowStride, a.Q.RowStride, rows, d, qPanels);
                new Span<float>(acc, rows * dv).Clear();
                new Span<float>(rowMax, rows).Fill(float.NegativeInfinity);
                new Span<float>(rowSum, rows).Clear();
                int keyEnd = KeyEnd(causal, a.S, i0, rows);
                for (int j0 = 0; j0 < keyEnd; j0 += KeyTile)
                {
                    int cols = Math.Min(KeyTile, keyEnd - j0);
                    float* v = a.V.At(b, h) + (nint)j0 * a.V.RowStride;
                    Scores<TKernel>(a, causal, b, h, i0, rows, j0, cols, qPanels, kPanels + (nint)j0 * d, scores, edges);
                    for (int r = 0; r < rows; r++)
                    {
                        // Online softmax: p = exp(s − m_new); l ← l·exp(m − m_new) + Σp; O ← O·exp(m − m_new)
                        var row = new Span<float>(scores + r * KeyTile, cols);
                        float newMax = Math.Max(rowMax[r], TileRows.Max(row));
                        if (float.IsNegativeInfinity(newMax))
                        {
                            row.Clear();                                // every key so far blocked: nothing to add
                            continue;
                        }
                        if (newMax > rowMax[r] && rowSum[r] > 0f)
                        {
                            float rescale = MathF.Exp(rowMax[r] - newMax);   // only a new maximum rescales what came before
                            rowSum[r] *= rescale;
                            var o = new Span<float>(acc + r * dv, dv);
                            TensorPrimitives.Multiply(o, rescale, o);
                        }
                        rowSum[r] += TileRows.ExpShiftSum(row, newMax);
                        rowMax[r] = newMax;
                    }
                    if (a.DropP > 0) Drop(a, pair, i0, rows, j0, cols, scores, scores);
                    // O += dropout(P)·v_j: [rows, dv] += [rows, cols]·[cols, dv], both read where they lie
                    GemmMacroKernel<TKernel>.Run(rows, dv, cols, 1f, PanelOperand.RowMajor(scores, KeyTile),
                        PanelOperand.KMajor(v, a.V.RowStride), 1f, acc, dv, edges);
                }
                float* lse = logSumExp + (nint)pair * a.T + i0;
                for (int r = 0; r < rows; r++)
                {
                    // out = O / l; a row with every key blocked has l = 0 and gives 0/0 = NaN
                    var o = new Span<float>(a.Out.At(b, h) + (nint)(i0 + r) * a.Out.RowStride, dv);
                    TensorPrimitives.Divide(new ReadOnlySpan<float>(acc + r * dv, dv), rowSum[r], o);
                    lse[r] = rowMax[r] + MathF.Log(rowSum[r]);
                }
            }
        }
    }

    private readonly struct BackwardJob<TKernel>(AttentionProblem a, bool causal, float* logSumExp, HeadMatrices output,
        HeadMatrices dOut, HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV) : IRangeJob where TKernel : IGemmKernel
    {
        // Called a few times per op, each call long: compiled fully optimised at once rather than replaced on the stack.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int start, int end)
        {
            int t = a.T, s = a.S, d = a.D, dv = a.Dv, mr = TKernel.MR, nr = TKernel.NR;
            bool drop = a.DropP > 0;
            float* free = GemmWorkspace.Current.Get((nint)BackwardScratch<TKernel>(d, dv, t));
            float* kPanels = Take(ref free, KeyTile * d);                    // k_jᵀ as B panels
            float* vPanels = Take(ref free, KeyTile * dv);                   // v_jᵀ as B panels
            float* qPanels = Take(ref free, (long)Tiles(t, QueryTile) * QueryTile * d);   // q as A panels, tile i at i0·d
            float* gPanels = Take(ref free, (long)Tiles(t, QueryTile) * QueryTile * dv);  // dOut as A panels, tile i at i0·dv
            // The gradients are summed in dense scratch and written out once: dQ of the pair [T, d], dK_j and dV_j.
            float* dqSum = Take(ref free, (long)Tiles(t, QueryTile) * QueryTile * d);
            float* dkSum = Take(ref free, KeyTile * d), dvSum = Take(ref free, KeyTile * dv);
            float* probs = Take(ref free, QueryTile * KeyTile);              // P: [QueryTile, KeyTile]
            float* dropped = Take(ref free, QueryTile * KeyTile);            // dropout(P)
            float* dProbs = Take(ref free, QueryTile * KeyTile);             // dP, then dS
            float* rowDot = Take(ref free, t);                               // D_i = Σ dOut_i ⊙ out_i: [T]
            float* edges = free;
            for (int pair = start; pair < end; pair++)
            {
                int b = pair / a.Heads, h = pair % a.Heads;
                float* g = dOut.At(b, h);                                                  // dOut: [T, dv]
                float* lse = logSumExp + (nint)pair * t;
                for (int i = 0; i < t; i++)
                    rowDot[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(g + (nint)i * dOut.RowStride, dv),
                        new ReadOnlySpan<float>(output.At(b, h) + (nint)i * output.RowStride, dv));
                if (dQ.Data != null) new Span<float>(dqSum, t * d).Clear();
                for (int i0 = 0; i0 < t; i0 += QueryTile)
                {
                    // Every key tile reads every query tile: the pair's q and dOut are packed once.
                    int rows = Math.Min(QueryTile, t - i0);
                    GemmPacking.PackA<TKernel>(false, a.Q.At(b, h) + (nint)i0 * a.Q.RowStride, a.Q.RowStride, rows, d,
                        qPanels + (nint)i0 * d);
                    GemmPacking.PackA<TKernel>(false, g + (nint)i0 * dOut.RowStride, dOut.RowStride, rows, dv,
                        gPanels + (nint)i0 * dv);
                }
                for (int j0 = 0; j0 < s; j0 += KeyTile)
                {
                    int cols = Math.Min(KeyTile, s - j0);
                    float beta = 0f;                                    // the first query tile writes dK_j, dV_j; the rest add
                    int firstTile = causal ? j0 / QueryTile * QueryTile : 0;
                    if (firstTile >= t)
                    {
                        ClearRows(dK, b, h, j0, cols, d);
                        ClearRows(dV, b, h, j0, cols, dv);
                        continue;
                    }
                    float* k = a.K.At(b, h) + (nint)j0 * a.K.RowStride, v = a.V.At(b, h) + (nint)j0 * a.V.RowStride;
                    GemmPacking.PackB<TKernel>(true, k, a.K.RowStride, d, cols, kPanels);
                    GemmPacking.PackB<TKernel>(true, v, a.V.RowStride, dv, cols, vPanels);
                    for (int i0 = firstTile; i0 < t; i0 += QueryTile)
                    {
                        int rows = Math.Min(QueryTile, t - i0);
                        float* q = a.Q.At(b, h) + (nint)i0 * a.Q.RowStride, gTile = g + (nint)i0 * dOut.RowStride;
                        // P = exp(scale·q·kᵀ + mask − L): [rows, cols]
                        Scores<TKernel>(a, causal, b, h, i0, rows, j0, cols, qPanels + (nint)i0 * d, kPanels, probs, edges);
                        for (int r = 0; r < rows; r++) TileRows.ExpShift(new Span<float>(probs + r * KeyTile, cols), lse[i0 + r]);
                        float* weights = probs;
                        if (drop)
                        {
                            Drop(a, pair, i0, rows, j0, cols, probs, dropped);
                            weights = dropped;
                        }
                        // dV_j (+)= dropout(P)ᵀ·dOut_i: [cols, dv] = [rows, cols]ᵀ·[rows, dv], both read where they lie
                        if (dV.Data != null)
                            GemmMacroKernel<TKernel>.Run(cols, dv, rows, 1f, PanelOperand.KMajor(weights, KeyTile),
                                PanelOperand.KMajor(gTile, dOut.RowStride), beta, dvSum, dv, edges);
                        if (dQ.Data != null || dK.Data != null)
                        {
                            // dP = dOut_i·v_jᵀ through the dropout mask; dS = P ⊙ (dP − D_i)
                            GemmMacroKernel<TKernel>.Run(rows, cols, dv, 1f, PanelOperand.Packed(gPanels + (nint)i0 * dv, dv, mr),
                                PanelOperand.Packed(vPanels, dv, nr), 0f, dProbs, KeyTile, edges);
                            if (drop) Drop(a, pair, i0, rows, j0, cols, dProbs, dProbs);
                            for (int r = 0; r < rows; r++)
                                TileRows.SoftmaxGradient(new Span<float>(dProbs + r * KeyTile, cols),
                                    new ReadOnlySpan<float>(probs + r * KeyTile, cols), rowDot[i0 + r]);
                            // dQ_i += dS·k_j·scale: [rows, d] += [rows, cols]·[cols, d], both read where they lie
                            if (dQ.Data != null)
                                GemmMacroKernel<TKernel>.Run(rows, d, cols, a.Scale, PanelOperand.RowMajor(dProbs, KeyTile),
                                    PanelOperand.KMajor(k, a.K.RowStride), 1f, dqSum + (nint)i0 * d, d, edges);
                            // dK_j (+)= dSᵀ·q_i·scale: [cols, d] = [rows, cols]ᵀ·[rows, d], both read where they lie
                            if (dK.Data != null)
                                GemmMacroKernel<TKernel>.Run(cols, d, rows, a.Scale, PanelOperand.KMajor(dProbs, KeyTile),
                                    PanelOperand.KMajor(q, a.Q.RowStride), beta, dkSum, d, edges);
                        }
                        beta = 1f;
                    }
                    WriteRows(dvSum, dV, b, h, j0, cols, dv);
                    WriteRows(dkSum, dK, b, h, j0, cols, d);
                }
                WriteRows(dqSum, dQ, b, h, 0, t, d);
            }
        }
    }

    // Rows [j0, j0 + count) of a [.., L, n] operand (when asked for) ← the dense rows of src: [count, n].
    private static void WriteRows(float* src, HeadMatrices m, int b, int h, int j0, int count, int n)
    {
        if (m.Data == null) return;
        for (int j = 0; j < count; j++)
            new ReadOnlySpan<float>(src + (nint)j * n, n).CopyTo(new Span<float>(m.At(b, h) + (nint)(j0 + j) * m.RowStride, n));
    }

    // Rows [j0, j0 + count) of a [.., L, n] operand set to zero (keys no query may see get no gradient).
    private static void ClearRows(HeadMatrices m, int b, int h, int j0, int count, int n)
    {
        if (m.Data == null) return;
        for (int j = j0; j < j0 + count; j++) new Span<float>(m.At(b, h) + (nint)j * m.RowStride, n).Clear();
    }
}
