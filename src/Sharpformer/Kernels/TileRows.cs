using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sharpformer.Kernels;

/// <summary>
/// The row operations of tiled attention, each one pass over the row, 16 lanes at a time (the tail in
/// scalar code): exponentials of shifted scores, with or without their sum, and the softmax gradient.
/// exp(x) = 2ⁿ·e^r with n = round(x·log₂e) and r = x − n·ln 2 (in two parts, Cody and Waite), e^r by its
/// degree-6 Taylor polynomial on |r| ≤ ½ln 2: relative error below 3e-7; −∞ gives 0, +∞ and anything
/// above 88.7 give +∞, NaN stays NaN.
/// </summary>
internal static class TileRows
{
    /// <summary>
    /// The largest value of a non-empty row. A NaN may be passed over; the exponentials shifted by the result carry it.
    /// row: [n]
    /// </summary>
    public static float Max(ReadOnlySpan<float> row)
    {
        if (!Avx512F.IsSupported || row.Length < 16) return TensorPrimitives.Max(row);
        var max = Vector512.Create<float>(row);
        int i = 16;
        for (; i + 16 <= row.Length; i += 16) max = Avx512F.Max(max, Vector512.Create<float>(row.Slice(i, 16)));
        var half = Avx.Max(max.GetLower(), max.GetUpper());
        var quarter = Sse.Max(half.GetLower(), half.GetUpper());
        float result = MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
        for (; i < row.Length; i++) result = Math.Max(result, row[i]);
        return result;
    }

    /// <summary>row ← exp(row − shift); returns the sum of the new row. row: [n]</summary>
    public static float ExpShiftSum(Span<float> row, float shift)
    {
        if (!Avx512F.IsSupported)
        {
            ExpShift(row, shift);
            return TensorPrimitives.Sum(row);
        }
        var sum = Vector512<float>.Zero;
        var s = Vector512.Create(shift);
        int i = 0;
        for (; i + 16 <= row.Length; i += 16)
        {
            var e = Exp(Vector512.Create<float>(row.Slice(i, 16)) - s);
            e.CopyTo(row.Slice(i, 16));
            sum += e;
        }
        float total = Vector512.Sum(sum);
        for (; i < row.Length; i++) total += row[i] = MathF.Exp(row[i] - shift);
        return total;
    }

    /// <summary>row ← exp(row − shift). row: [n]</summary>
    public static void ExpShift(Span<float> row, float shift)
    {
        if (!Avx512F.IsSupported)
        {
            TensorPrimitives.Subtract(row, shift, row);
            TensorPrimitives.Exp(row, row);
            return;
        }
        var s = Vector512.Create(shift);
        int i = 0;
        for (; i + 16 <= row.Length; i += 16)
            Exp(Vector512.Create<float>(row.Slice(i, 16)) - s).CopyTo(row.Slice(i, 16));
        for (; i < row.Length; i++) row[i] = MathF.Exp(row[i] - shift);
    }

    /// <summary>dS ← P ⊙ (dP − rowDot), the softmax backward of one row. dS (holding dP), P: [n]</summary>
    public static void SoftmaxGradient(Span<float> dS, ReadOnlySpan<float> p, float rowDot)
    {
        if (!Avx512F.IsSupported)
        {
            TensorPrimitives.Subtract(dS, rowDot, dS);
            TensorPrimitives.Multiply(dS, p, dS);
            return;
        }
        var d = Vector512.Create(rowDot);
        int i = 0;
        for (; i + 16 <= dS.Length; i += 16)
            (Vector512.Create<float>(p.Slice(i, 16)) * (Vector512.Create<float>(dS.Slice(i, 16)) - d)).CopyTo(dS.Slice(i, 16));
        for (; i < dS.Length; i++) dS[i] = p[i] * (dS[i] - rowDot);
    }

    // exp(x) = 2ⁿ·e^r as described above; VSCALEFPS applies 2ⁿ, giving 0 below and +∞ above the float range.
    // x is first clamped to [−110, 89], where those limits are already reached; Max and Min return x when it is NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Avx512F.Min(Vector512.Create(89f), Avx512F.Max(Vector512.Create(-110f), x));
        var round = Vector512.Create(12582912f);                                 // 1.5·2²³: adding it rounds to a whole number
        var n = Vector512.FusedMultiplyAdd(c, Vector512.Create(1.44269504f), round) - round;
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1f / 720);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        return Avx512F.Scale(p, n);
    }
}
