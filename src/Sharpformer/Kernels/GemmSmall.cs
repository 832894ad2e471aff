using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>
/// Products too small to repay packing (attention on short sequences, tiny layers): direct loops over the
/// unpacked operands, vectorised along the contiguous dimension of B.
/// </summary>
internal static unsafe class GemmSmall
{
    /// <summary>Computes the product on the calling thread without packing.</summary>
    public static void Run(in GemmProblem g)
    {
        if (g.TransB)
            RunDots(g);
        else
            RunRowUpdates(g);
    }

    /// <summary>C = beta·C, never reading C when beta == 0 (the whole product when k == 0 or alpha == 0).</summary>
    public static void Scale(in GemmProblem g)
    {
        for (int i = 0; i < g.M; i++)
            ScaleRow(g.C + i * g.Ldc, g.N, g.Beta);
    }

    // B is [k, n] row-major: C[i, :] = beta·C[i, :] + Σp (alpha·op(A)[i, p])·B[p, :].
    private static void RunRowUpdates(in GemmProblem g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* ci = g.C + i * g.Ldc;
            ScaleRow(ci, g.N, g.Beta);
            for (int p = 0; p < g.K; p++)
                Axpy(g.Alpha * *g.AAt(i, p), g.B + p * g.Ldb, ci, g.N);
        }
    }

    // B is stored [n, k]: C[i, j] = alpha·(op(A)[i, :] · B[j, :]) + beta·C[i, j].
    private static void RunDots(in GemmProblem g)
    {
        float* column = g.TransA ? GemmWorkspace.Current.Get(g.K) : null;
        for (int i = 0; i < g.M; i++)
        {
            float* ai = g.A + i * g.Lda;
            if (g.TransA)
            {
                // Gather op(A)[i, :] (a column of the stored A) so the dot products run on contiguous data.
                for (int p = 0; p < g.K; p++)
                    column[p] = g.A[p * g.Lda + i];
                ai = column;
            }
            float* ci = g.C + i * g.Ldc;
            for (int j = 0; j < g.N; j++)
            {
                float dot = g.Alpha * Dot(ai, g.B + j * g.Ldb, g.K);
                ci[j] = g.Beta == 0 ? dot : dot + g.Beta * ci[j];
            }
        }
    }

    private static void ScaleRow(float* c, int n, float beta)
    {
        if (beta == 1)
            return;
        int j = 0;
        if (beta == 0)
        {
            for (; j + Vector<float>.Count <= n; j += Vector<float>.Count)
                Vector.Store(Vector<float>.Zero, c + j);
            for (; j < n; j++)
                c[j] = 0;
            return;
        }
        for (; j + Vector<float>.Count <= n; j += Vector<float>.Count)
            Vector.Store(Vector.Load(c + j) * beta, c + j);
        for (; j < n; j++)
            c[j] *= beta;
    }

    // y[0..n) += s·x[0..n)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float s, float* x, float* y, int n)
    {
        var vs = new Vector<float>(s);
        int j = 0;
        for (; j + Vector<float>.Count <= n; j += Vector<float>.Count)
            Vector.Store(Vector.MultiplyAddEstimate(vs, Vector.Load(x + j), Vector.Load(y + j)), y + j);
        for (; j < n; j++)
            y[j] += s * x[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int n)
    {
        var acc = Vector<float>.Zero;
        int p = 0;
        for (; p + Vector<float>.Count <= n; p += Vector<float>.Count)
            acc = Vector.MultiplyAddEstimate(Vector.Load(x + p), Vector.Load(y + p), acc);
        float sum = Vector.Sum(acc);
        for (; p < n; p++)
            sum += x[p] * y[p];
        return sum;
    }
}
