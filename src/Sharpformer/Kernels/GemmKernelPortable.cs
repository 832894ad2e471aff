using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sharpformer.Kernels;

/// <summary>
/// Portable micro-kernel on <see cref="Vector128{T}"/> (SSE, NEON, or software where neither exists):
/// a 4 × 8 tile of C in eight accumulators.
/// </summary>
internal readonly unsafe struct GemmKernelPortable : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 2048;
    public static bool AvxPacking => false;

    // A panel: 4 rows, step p of row r at a + r·aRowStep + p·aStep; B panel: [kc, 8] at row stride bStep;
    // C tile: [4, 8] with row stride ldc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, nint aStep, nint aRowStep, float* b, nint bStep, float* c, nint ldc,
        float alpha, float beta)
    {
        Vector128<float> c0_0 = default, c0_1 = default;
        Vector128<float> c1_0 = default, c1_1 = default;
        Vector128<float> c2_0 = default, c2_1 = default;
        Vector128<float> c3_0 = default, c3_1 = default;
        nint rowStep2 = 2 * aRowStep, rowStep3 = 3 * aRowStep;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> x;
            x = Vector128.Create(a[0]);
            c0_0 = Vector128.MultiplyAddEstimate(x, b0, c0_0);
            c0_1 = Vector128.MultiplyAddEstimate(x, b1, c0_1);
            x = Vector128.Create(a[aRowStep]);
            c1_0 = Vector128.MultiplyAddEstimate(x, b0, c1_0);
            c1_1 = Vector128.MultiplyAddEstimate(x, b1, c1_1);
            x = Vector128.Create(a[rowStep2]);
            c2_0 = Vector128.MultiplyAddEstimate(x, b0, c2_0);
            c2_1 = Vector128.MultiplyAddEstimate(x, b1, c2_1);
            x = Vector128.Create(a[rowStep3]);
            c3_0 = Vector128.MultiplyAddEstimate(x, b0, c3_0);
            c3_1 = Vector128.MultiplyAddEstimate(x, b1, c3_1);
            a += aStep;
            b += bStep;
        }

        Vector128<float> va = Vector128.Create(alpha);
        Vector128<float> vb = Vector128.Create(beta);
        Update(c, c0_0, c0_1, va, vb, beta);
        Update(c + ldc, c1_0, c1_1, va, vb, beta);
        Update(c + 2 * ldc, c2_0, c2_1, va, vb, beta);
        Update(c + 3 * ldc, c3_0, c3_1, va, vb, beta);
    }

    // C row [8] = alpha·acc + beta·C row (C untouched by reads when beta == 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, Vector128<float> acc0, Vector128<float> acc1,
        Vector128<float> va, Vector128<float> vb, float beta)
    {
        if (beta == 0)
        {
            Vector128.Store(acc0 * va, c);
            Vector128.Store(acc1 * va, c + 4);
        }
        else
        {
            Vector128.Store(Vector128.MultiplyAddEstimate(Vector128.Load(c), vb, acc0 * va), c);
            Vector128.Store(Vector128.MultiplyAddEstimate(Vector128.Load(c + 4), vb, acc1 * va), c + 4);
        }
    }
}
