using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>An elementwise binary function with span forms for the dense and scalar-broadcast cases.</summary>
internal interface IBinaryOp
{
    static abstract float Apply(float a, float b);
    static abstract void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d);
    static abstract void Apply(ReadOnlySpan<float> a, float b, Span<float> d);
    static abstract void Apply(float a, ReadOnlySpan<float> b, Span<float> d);
}

internal readonly struct AddOp : IBinaryOp
{
    public static float Apply(float a, float b) => a + b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(b, a, d);
}

internal readonly struct SubOp : IBinaryOp
{
    public static float Apply(float a, float b) => a - b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
}

internal readonly struct MulOp : IBinaryOp
{
    public static float Apply(float a, float b) => a * b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(b, a, d);
}

internal readonly struct DivOp : IBinaryOp
{
    public static float Apply(float a, float b) => a / b;
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
}

internal readonly struct PowOp : IBinaryOp
{
    public static float Apply(float a, float b) => MathF.Pow(a, b);
    public static void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
    public static void Apply(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
    public static void Apply(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Pow(a, b, d);
}

/// <summary>
/// Applies a binary op over two strided operands already broadcast to the output shape (stride 0 on
/// broadcast dimensions), writing a dense row-major output. Rows along the last dimension use the
/// span forms when their inner strides are 1 or 0.
/// </summary>
internal static class BroadcastBinary
{
    // a, b: views with out's rank; out: [.., inner] dense
    public static void Run<TOp>(float[] a, int aOffset, ReadOnlySpan<int> aStrides,
                                float[] b, int bOffset, ReadOnlySpan<int> bStrides,
                                ReadOnlySpan<int> shape, Span<float> dst) where TOp : IBinaryOp
    {
        int rank = shape.Length;
        if (dst.Length == 0) return;
        if (rank == 0)
        {
            dst[0] = TOp.Apply(a[aOffset], b[bOffset]);
            return;
        }
        int inner = shape[rank - 1];
        int sa = aStrides[rank - 1], sb = bStrides[rank - 1];
        Span<int> ia = stackalloc int[rank];
        Span<int> ib = stackalloc int[rank];
        int pa = aOffset, pb = bOffset;
        for (int row = 0; row < dst.Length; row += inner)
        {
            var d = dst.Slice(row, inner);
            if (sa == 1 && sb == 1) TOp.Apply(a.AsSpan(pa, inner), b.AsSpan(pb, inner), d);
            else if (sa == 1 && sb == 0) TOp.Apply(a.AsSpan(pa, inner), b[pb], d);
            else if (sa == 0 && sb == 1) TOp.Apply(a[pa], b.AsSpan(pb, inner), d);
            else for (int j = 0; j < inner; j++) d[j] = TOp.Apply(a[pa + j * sa], b[pb + j * sb]);
            pa = Odometer.Next(ia, shape, aStrides, pa, rank - 1);
            pb = Odometer.Next(ib, shape, bStrides, pb, rank - 1);
        }
    }
}
