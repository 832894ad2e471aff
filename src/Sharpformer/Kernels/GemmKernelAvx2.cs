using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// AVX2 + FMA micro-kernel: a 6 × 16 tile of C in 12 ymm accumulators (of 16 registers: 12 accumulators,
/// two B vectors and one broadcast).
/// </summary>
internal readonly unsafe struct GemmKernelAvx2 : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 2048;
    public static bool AvxPacking => true;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    // A panel: 6 rows, step p of row r at a + r·aRowStep + p·aStep; B panel: [kc, 16] at row stride bStep;
    // C tile: [6, 16] with row stride ldc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, nint aStep, nint aRowStep, float* b, nint bStep, float* c, nint ldc,
        float alpha, float beta)
    {
        Vector256<float> c0_0 = default, c0_1 = default;
        Vector256<float> c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default;
        Vector256<float> c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default;
        Vector256<float> c5_0 = default, c5_1 = default;
        nint rowStep2 = 2 * aRowStep;
        float* a3 = a + 3 * aRowStep;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]);
            c0_0 = Fma.MultiplyAdd(x, b0, c0_0);
            c0_1 = Fma.MultiplyAdd(x, b1, c0_1);
            x = Vector256.Create(a[aRowStep]);
            c1_0 = Fma.MultiplyAdd(x, b0, c1_0);
            c1_1 = Fma.MultiplyAdd(x, b1, c1_1);
            x = Vector256.Create(a[rowStep2]);
            c2_0 = Fma.MultiplyAdd(x, b0, c2_0);
            c2_1 = Fma.MultiplyAdd(x, b1, c2_1);
            x = Vector256.Create(a3[0]);
            c3_0 = Fma.MultiplyAdd(x, b0, c3_0);
            c3_1 = Fma.MultiplyAdd(x, b1, c3_1);
            x = Vector256.Create(a3[aRowStep]);
            c4_0 = Fma.MultiplyAdd(x, b0, c4_0);
            c4_1 = Fma.MultiplyAdd(x, b1, c4_1);
            x = Vector256.Create(a3[rowStep2]);
            c5_0 = Fma.MultiplyAdd(x, b0, c5_0);
            c5_1 = Fma.MultiplyAdd(x, b1, c5_1);
            a += aStep;
            a3 += aStep;
            b += bStep;
        }

        Vector256<float> va = Vector256.Create(alpha);
        Vector256<float> vb = Vector256.Create(beta);
        Update(c, c0_0, c0_1, va, vb, beta);
        Update(c + ldc, c1_0, c1_1, va, vb, beta);
        Update(c + 2 * ldc, c2_0, c2_1, va, vb, beta);
        Update(c + 3 * ldc, c3_0, c3_1, va, vb, beta);
        Update(c + 4 * ldc, c4_0, c4_1, va, vb, beta);
        Update(c + 5 * ldc, c5_0, c5_1, va, vb, beta);
    }

    // C row [16] = alpha·acc + beta·C row (C untouched by reads when beta == 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, Vector256<float> acc0, Vector256<float> acc1,
        Vector256<float> va, Vector256<float> vb, float beta)
    {
        if (beta == 0)
        {
            Vector256.Store(acc0 * va, c);
            Vector256.Store(acc1 * va, c + 8);
        }
        else
        {
            Vector256.Store(Fma.MultiplyAdd(Vector256.Load(c), vb, acc0 * va), c);
            Vector256.Store(Fma.MultiplyAdd(Vector256.Load(c + 8), vb, acc1 * va), c + 8);
        }
    }
}
