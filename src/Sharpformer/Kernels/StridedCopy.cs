namespace Sharpformer.Kernels;

/// <summary>Gathers a strided view (any strides, including 0 for broadcast dimensions) into a dense row-major span.</summary>
internal static class StridedCopy
{
    /// <summary>dst = the elements of the view (src, offset, shape, strides) in row-major order.</summary>
    public static void Run(float[] src, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<float> dst)
    {
        int rank = shape.Length;
        if (dst.Length == 0) return;
        if (rank == 0)
        {
            dst[0] = src[offset];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int at = offset;
        for (int row = 0; row < dst.Length; row += inner)
        {
            var d = dst.Slice(row, inner);
            if (innerStride == 1) src.AsSpan(at, inner).CopyTo(d);
            else if (innerStride == 0) d.Fill(src[at]);
            else for (int j = 0, s = at; j < inner; j++, s += innerStride) d[j] = src[s];
            at = Odometer.Next(index, shape, strides, at, rank - 1);
        }
    }

    /// <summary>The inverse: writes dense row-major <paramref name="src"/> into the strided view (dst, offset, shape, strides).</summary>
    public static void Scatter(ReadOnlySpan<float> src, float[] dst, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int rank = shape.Length;
        if (src.Length == 0) return;
        if (rank == 0)
        {
            dst[offset] = src[0];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int at = offset;
        for (int row = 0; row < src.Length; row += inner)
        {
            var s = src.Slice(row, inner);
            if (innerStride == 1) s.CopyTo(dst.AsSpan(at, inner));
            else for (int j = 0, d = at; j < inner; j++, d += innerStride) dst[d] = s[j];
            at = Odometer.Next(index, shape, strides, at, rank - 1);
        }
    }
}

/// <summary>Steps a multi-index over the leading dimensions of a shape, tracking a storage offset.</summary>
internal static class Odometer
{
    /// <summary>
    /// Advances <paramref name="index"/> over dimensions [0, dims) by one step (last of those fastest) and
    /// returns the storage offset moved accordingly.
    /// </summary>
    public static int Next(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int at, int dims)
    {
        for (int d = dims - 1; d >= 0; d--)
        {
            if (++index[d] < shape[d]) return at + strides[d];
            at -= (shape[d] - 1) * strides[d];
            index[d] = 0;
        }
        return at;
    }
}
