using System.Numerics.Tensors;

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
    /// <summary>Queries per tile.</summary>
    public const int QueryTile = 128;

    /// <summary>Keys per tile.</summary>
    public const int KeyTile = 128;

    // Below about this many multiply-adds per piece, waking another thread costs more than it saves.
    private const long PieceWork = 1 << 16;

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>
    /// out = softmax(q·kᵀ·scale + mask, causal)·v with dropout on the probabilities; fills
    /// <paramref name="logSumExp"/>: [B, H, T], the per-row L that <see cref="Backward"/> needs.
    /// A query row that every key is blocked for gives NaN (as the reference op and torch do).
    /// </summary>
    public static void Forward(in AttentionProblem problem, bool causal, float* logSumExp)
    {
        int tiles = Tiles(problem.T, QueryTile);
        var job = new ForwardJob(problem, causal, logSumExp, tiles, Gemm.Path);
        long work = (long)Math.Min(QueryTile, problem.T) * problem.S * (problem.D + problem.Dv);
        ParallelRange.For(problem.Pairs * tiles, Grain(work, problem.Pairs * tiles), ref job);
    }

    /// <summary>
    /// Gradients of q, k and v (each written only when asked for) from dOut: [B, H, T, dv], the forward
    /// output <paramref name="output"/> and its <paramref name="logSumExp"/>.
    /// </summary>
    public static void Backward(in AttentionProblem problem, bool causal, float* logSumExp, HeadMatrices output, HeadMatrices dOut,
                                HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV)
    {
        var job = new BackwardJob(problem, causal, logSumExp, output, dOut, dQ, dK, dV, Gemm.Path);
        long work = 2L * problem.T * problem.S * (problem.D + problem.Dv);
        ParallelRange.For(problem.Pairs, Grain(work, problem.Pairs), ref job);
    }

    /// <summary>
    /// Floats of scratch a thread holds (one buffer, sized for the larger pass): the forward pass's score,
    /// probability and output tiles, or the backward pass's three tiles and D for every query.
    /// </summary>
    public static long ScratchPerThread(int dv, int t) => Math.Max(ForwardScratch(dv), BackwardScratch(t));

    private static int ForwardScratch(int dv) => 2 * QueryTile * KeyTile + QueryTile * (dv + 2);

    private static int BackwardScratch(int t) => 3 * QueryTile * KeyTile + t;

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

    // scores: [rows, cols] at row stride KeyTile ← q_tile·k_tileᵀ·scale + mask, causal entries −∞
    private static void Scores(in AttentionProblem a, GemmPath path, bool causal, int b, int h, int i0, int rows, int j0, int cols,
                               float* scores)
    {
        Product(path, false, true, rows, cols, a.D, a.Scale, a.Q.At(b, h) + (nint)i0 * a.Q.RowStride, a.Q.RowStride,
            a.K.At(b, h) + (nint)j0 * a.K.RowStride, a.K.RowStride, 0f, scores, KeyTile);
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

    private readonly struct ForwardJob(AttentionProblem a, bool causal, float* logSumExp, int tiles, GemmPath path) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int dv = a.Dv;
            bool drop = a.DropP > 0;
            fixed (float* scratch = Scratch(ForwardScratch(dv)))
            {
                float* scores = scratch;                                   // S, then P: [QueryTile, KeyTile]
                float* dropped = scores + QueryTile * KeyTile;             // dropout(P)
                float* acc = dropped + QueryTile * KeyTile;                // O accumulated: [QueryTile, dv]
                float* rowMax = acc + QueryTile * dv, rowSum = rowMax + QueryTile;
                for (int item = start; item < end; item++)
                {
                    int pair = item / tiles, i0 = item % tiles * QueryTile, rows = Math.Min(QueryTile, a.T - i0);
                    int b = pair / a.Heads, h = pair % a.Heads;
                    new Span<float>(acc, rows * dv).Clear();
                    new Span<float>(rowMax, rows).Fill(float.NegativeInfinity);
                    new Span<float>(rowSum, rows).Clear();
                    int keyEnd = KeyEnd(causal, a.S, i0, rows);
                    for (int j0 = 0; j0 < keyEnd; j0 += KeyTile)
                    {
                        int cols = Math.Min(KeyTile, keyEnd - j0);
                        Scores(a, path, causal, b, h, i0, rows, j0, cols, scores);
                        for (int r = 0; r < rows; r++)
                        {
                            // Online softmax: p = exp(s − m_new); l ← l·exp(m − m_new) + Σp; O ← O·exp(m − m_new)
                            var row = new Span<float>(scores + r * KeyTile, cols);
                            float newMax = Math.Max(rowMax[r], TensorPrimitives.Max(row));
                            if (float.IsNegativeInfinity(newMax))
                            {
                                row.Clear();                                // every key so far blocked: nothing to add
                                continue;
                            }
                            float rescale = MathF.Exp(rowMax[r] - newMax);
                            rowSum[r] = rowSum[r] * rescale + TileRows.ExpShiftSum(row, newMax);
                            rowMax[r] = newMax;
                            if (rescale != 1f)
                            {
                                var o = new Span<float>(acc + r * dv, dv);
                                TensorPrimitives.Multiply(o, rescale, o);
                            }
                        }
                        float* weights = scores;
                        if (drop)
                        {
                            Drop(a, pair, i0, rows, j0, cols, scores, dropped);
                            weights = dropped;
                        }
                        // O += dropout(P)·v_tile: [rows, dv] += [rows, cols]·[cols, dv]
                        Product(path, false, false, rows, dv, cols, 1f, weights, KeyTile, a.V.At(b, h) + (nint)j0 * a.V.RowStride,
                            a.V.RowStride, 1f, acc, dv);
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
    }

    private readonly struct BackwardJob(AttentionProblem a, bool causal, float* logSumExp, HeadMatrices output, HeadMatrices dOut,
        HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV, GemmPath path) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int t = a.T, s = a.S, d = a.D, dv = a.Dv;
            bool drop = a.DropP > 0;
            fixed (float* scratch = Scratch(BackwardScratch(t)))
            {
                float* probs = scratch;                                    // P: [QueryTile, KeyTile]
                float* dropped = probs + QueryTile * KeyTile;              // dropout(P)
                float* dProbs = dropped + QueryTile * KeyTile;             // dP, then dS
                float* rowDot = dProbs + QueryTile * KeyTile;              // D_i = Σ dOut_i ⊙ out_i: [T]
                for (int pair = start; pair < end; pair++)
                {
                    int b = pair / a.Heads, h = pair % a.Heads;
                    float* g = dOut.At(b, h);                                                  // dOut: [T, dv]
                    float* lse = logSumExp + (nint)pair * t;
                    for (int i = 0; i < t; i++)
                        rowDot[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(g + (nint)i * dOut.RowStride, dv),
                            new ReadOnlySpan<float>(output.At(b, h) + (nint)i * output.RowStride, dv));
                    if (dQ.Data != null)
                        for (int i = 0; i < t; i++) new Span<float>(dQ.At(b, h) + (nint)i * dQ.RowStride, d).Clear();
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
                        for (int i0 = firstTile; i0 < t; i0 += QueryTile)
                        {
                            int rows = Math.Min(QueryTile, t - i0);
                            // P = exp(scale·q·kᵀ + mask − L): [rows, cols]
                            Scores(a, path, causal, b, h, i0, rows, j0, cols, probs);
                            for (int r = 0; r < rows; r++) TileRows.ExpShift(new Span<float>(probs + r * KeyTile, cols), lse[i0 + r]);
                            float* gTile = g + (nint)i0 * dOut.RowStride;
                            float* weights = probs;
                            if (drop)
                            {
                                Drop(a, pair, i0, rows, j0, cols, probs, dropped);
                                weights = dropped;
                            }
                            // dV_j (+)= dropout(P)ᵀ·dOut_i: [cols, dv] = [rows, cols]ᵀ·[rows, dv]
                            if (dV.Data != null)
                                Product(path, true, false, cols, dv, rows, 1f, weights, KeyTile, gTile, dOut.RowStride, beta,
                                    dV.At(b, h) + (nint)j0 * dV.RowStride, dV.RowStride);
                            if (dQ.Data != null || dK.Data != null)
                            {
                                // dP = dOut_i·v_jᵀ through the dropout mask; dS = P ⊙ (dP − D_i)
                                Product(path, false, true, rows, cols, dv, 1f, gTile, dOut.RowStride,
                                    a.V.At(b, h) + (nint)j0 * a.V.RowStride, a.V.RowStride, 0f, dProbs, KeyTile);
                                if (drop) Drop(a, pair, i0, rows, j0, cols, dProbs, dProbs);
                                for (int r = 0; r < rows; r++)
                                    TileRows.SoftmaxGradient(new Span<float>(dProbs + r * KeyTile, cols),
                                        new ReadOnlySpan<float>(probs + r * KeyTile, cols), rowDot[i0 + r]);
                                // dQ_i += dS·k_j·scale: [rows, d] += [rows, cols]·[cols, d]
                                if (dQ.Data != null)
                                    Product(path, false, false, rows, d, cols, a.Scale, dProbs, KeyTile,
                                        a.K.At(b, h) + (nint)j0 * a.K.RowStride, a.K.RowStride, 1f,
                                        dQ.At(b, h) + (nint)i0 * dQ.RowStride, dQ.RowStride);
                                // dK_j (+)= dSᵀ·q_i·scale: [cols, d] = [rows, cols]ᵀ·[rows, d]
                                if (dK.Data != null)
                                    Product(path, true, false, cols, d, rows, a.Scale, dProbs, KeyTile,
                                        a.Q.At(b, h) + (nint)i0 * a.Q.RowStride, a.Q.RowStride, beta,
                                        dK.At(b, h) + (nint)j0 * dK.RowStride, dK.RowStride);
                            }
                            beta = 1f;
                        }
                    }
                }
            }
        }
    }

    // Rows [j0, j0 + count) of a [.., L, n] operand set to zero (keys no query may see get no gradient).
    private static void ClearRows(HeadMatrices m, int b, int h, int j0, int count, int n)
    {
        if (m.Data == null) return;
        for (int j = j0; j < j0 + count; j++) new Span<float>(m.At(b, h) + (nint)j * m.RowStride, n).Clear();
    }

    // c = alpha·op(a)·op(b) + beta·c on this thread.
    private static void Product(GemmPath path, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        Gemm.Run(new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), 1, path);

    private static float[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length) t_scratch = scratch = GC.AllocateUninitializedArray<float>(length);
        return scratch;
    }
}
