using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// Fused scaled dot-product attention and its backward pass. Every (batch entry, head) pair is
/// independent: pairs are split over threads, and each pair's products run on one thread through the
/// GEMM micro-kernels, reading q, k, v and the output gradient in place through their strides.
/// </summary>
internal static unsafe class Attention
{
    // Below about this many multiply-adds per piece, waking another thread costs more than it saves.
    private const long PieceWork = 1 << 16;

    // Per-thread [T, S] buffers; they only grow, so steady-state calls allocate nothing.
    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>P = softmax(q·kᵀ·scale + mask); out = dropout(P)·v. Fills Probs when it is given.</summary>
    public static void Forward(in AttentionProblem problem)
    {
        var job = new ForwardJob(problem, Gemm.Path);
        ParallelRange.For(problem.Pairs, Grain(problem), ref job);
    }

    /// <summary>
    /// Gradients of q, k and v (each written only when its <see cref="HeadMatrices.Data"/> is set) from the
    /// output gradient dOut: [B, H, T, dv] and the saved softmax <see cref="AttentionProblem.Probs"/>.
    /// </summary>
    public static void Backward(in AttentionProblem problem, HeadMatrices dOut, HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV)
    {
        var job = new BackwardJob(problem, dOut, dQ, dK, dV, Gemm.Path);
        ParallelRange.For(problem.Pairs, Grain(problem), ref job);
    }

    /// <summary>Floats of scratch a thread holds in the backward pass (the forward pass needs none when P is kept).</summary>
    public static long ScratchPerThread(int t, int s, bool dropout) => (dropout ? 2L : 1L) * t * s;

    private static int Grain(in AttentionProblem a) => (int)Math.Clamp(PieceWork / Math.Max(1, a.PairWork), 1, Math.Max(1, a.Pairs));

    private readonly struct ForwardJob(AttentionProblem a, GemmPath path) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int t = a.T, s = a.S, ts = t * s;
            bool drop = a.DropP > 0;
            // scratch: this pair's softmax when Probs is not kept, then its dropped-out copy
            int ownProbs = a.Probs == null ? ts : 0;
            fixed (float* scratch = Scratch(ownProbs + (drop ? ts : 0)))
            {
                for (int pair = start; pair < end; pair++)
                {
                    int b = pair / a.Heads, h = pair % a.Heads;
                    float* probs = a.Probs == null ? scratch : a.Probs + (nint)pair * ts;     // P: [T, S]
                    // scores = q·kᵀ·scale: [T, S] = [T, d]·[S, d]ᵀ
                    Product(path, false, true, t, s, a.D, a.Scale, a.Q.At(b, h), a.Q.RowStride, a.K.At(b, h), a.K.RowStride, probs, s);
                    for (int i = 0; i < t; i++)
                    {
                        var row = new Span<float>(probs + i * s, s);
                        if (a.Mask.IsPresent) a.Mask.AddTo(row, b, h, i);
                        Softmax.Row(row, row, log: false);
                    }
                    float* weights = probs;
                    if (drop)
                    {
                        weights = scratch + ownProbs;
                        DropoutMask.Apply(new ReadOnlySpan<float>(probs, ts), new Span<float>(weights, ts), a.DropKey, pair * ts, a.DropP);
                    }
                    // out = dropout(P)·v: [T, dv] = [T, S]·[S, dv]
                    Product(path, false, false, t, a.Dv, s, 1f, weights, s, a.V.At(b, h), a.V.RowStride, a.Out.At(b, h), a.Out.RowStride);
                }
            }
        }
    }

    private readonly struct BackwardJob(AttentionProblem a, HeadMatrices dOut, HeadMatrices dQ, HeadMatrices dK, HeadMatrices dV,
        GemmPath path) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int t = a.T, s = a.S, ts = t * s;
            bool drop = a.DropP > 0;
            // scratch: this pair's dropped-out P, then the score gradient dS
            int ownDropped = drop ? ts : 0;
            fixed (float* scratch = Scratch(ownDropped + ts))
            {
                for (int pair = start; pair < end; pair++)
                {
                    int b = pair / a.Heads, h = pair % a.Heads;
                    float* probs = a.Probs + (nint)pair * ts;                                 // P: [T, S]
                    float* g = dOut.At(b, h);                                                 // dOut: [T, dv]
                    if (dV.Data != null)
                    {
                        float* dropped = probs;
                        if (drop)
                        {
                            dropped = scratch;
                            DropoutMask.Apply(new ReadOnlySpan<float>(probs, ts), new Span<float>(dropped, ts),
                                a.DropKey, pair * ts, a.DropP);
                        }
                        // dV = dropout(P)ᵀ·dOut: [S, dv] = [T, S]ᵀ·[T, dv]
                        Product(path, true, false, s, a.Dv, t, 1f, dropped, s, g, dOut.RowStride, dV.At(b, h), dV.RowStride);
                    }
                    if (dQ.Data == null && dK.Data == null) continue;

                    float* dScores = scratch + ownDropped;                                   // dS: [T, S]
                    // d(dropout(P)) = dOut·vᵀ: [T, S] = [T, dv]·[S, dv]ᵀ, then dP through the same mask
                    Product(path, false, true, t, s, a.Dv, 1f, g, dOut.RowStride, a.V.At(b, h), a.V.RowStride, dScores, s);
                    if (drop)
                        DropoutMask.Apply(new ReadOnlySpan<float>(dScores, ts), new Span<float>(dScores, ts),
                            a.DropKey, pair * ts, a.DropP);
                    // softmax backward per row: dS = P ⊙ (dP − Σ dP⊙P)
                    for (int i = 0; i < t; i++)
                    {
                        var p = new ReadOnlySpan<float>(probs + i * s, s);
                        var row = new Span<float>(dScores + i * s, s);
                        TensorPrimitives.Subtract(row, TensorPrimitives.Dot(row, p), row);
                        TensorPrimitives.Multiply(row, p, row);
                    }
                    // dQ = dS·k·scale: [T, d] = [T, S]·[S, d]
                    if (dQ.Data != null)
                        Product(path, false, false, t, a.D, s, a.Scale, dScores, s, a.K.At(b, h), a.K.RowStride, dQ.At(b, h), dQ.RowStride);
                    // dK = dSᵀ·q·scale: [S, d] = [T, S]ᵀ·[T, d]
                    if (dK.Data != null)
                        Product(path, true, false, s, a.D, t, a.Scale, dScores, s, a.Q.At(b, h), a.Q.RowStride, dK.At(b, h), dK.RowStride);
                }
            }
        }
    }

    // c = alpha·op(a)·op(b) on this thread (c is only written).
    private static void Product(GemmPath path, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float* c, int ldc) =>
        Gemm.Run(new GemmProblem(transA, transB, m, n, k, alpha, a, lda, b, ldb, 0f, c, ldc), 1, path);

    private static float[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length) t_scratch = scratch = GC.AllocateUninitializedArray<float>(length);
        return scratch;
    }
}
