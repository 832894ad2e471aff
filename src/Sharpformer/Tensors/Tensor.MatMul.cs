using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-D·1-D is a dot product; a 1-D operand is treated as a
    /// row (left) or column (right) vector and that dimension is dropped; otherwise the last two
    /// dimensions multiply and the leading (batch) dimensions broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
            throw new ShapeMismatchException(
                $"MatMul: both arguments need at least one dimension, " +
                $"got shapes {Shapes.Format(_shape)} and {Shapes.Format(other._shape)}");
        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(-1) : other;
        var y = MatMulCore(a, b);
        if (Rank == 1) y = y.Squeeze(-2);
        if (other.Rank == 1) y = y.Squeeze(-1);
        return y;
    }

    /// <summary>The product of matrices a: [..., m, k] and b: [..., k, n] with broadcast batch dimensions.</summary>
    private static Tensor MatMulCore(Tensor a, Tensor b)
    {
        int m = a._shape[^2], k = a._shape[^1], kb = b._shape[^2], n = b._shape[^1];
        if (k != kb)
            throw new ShapeMismatchException(
                $"MatMul: shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)} cannot be multiplied ({k} columns vs {kb} rows)");
        var batch = Shapes.Broadcast(a._shape.AsSpan(0, a.Rank - 2), b._shape.AsSpan(0, b.Rank - 2), "MatMul");
        int[] outShape = [.. batch, m, n];
        var y = Allocate(outShape);
        MatMulInto(a, b, y);
        return Record(y, "MatMul", [a, b], g =>
        [
            a.RequiresGrad ? MatMulCore(g, b.Transpose(-1, -2)).SumToShape(a._shape) : null,
            b.RequiresGrad ? WeightGradient(a, g, b._shape) : null,
        ]);
    }

    /// <summary>dL/db = aᵀ·g summed over batch; for a 2-D b the batch folds into one GEMM.</summary>
    private static Tensor WeightGradient(Tensor a, Tensor g, int[] bShape)
    {
        if (bShape.Length == 2 && a.Rank > 2)
        {
            var a2 = a.Reshape(-1, a._shape[^1]);
            var g2 = g.Reshape(-1, g._shape[^1]);
            return MatMulCore(a2.Transpose(0, 1), g2);
        }
        return MatMulCore(a.Transpose(-1, -2), g).SumToShape(bShape);
    }

    /// <summary>y: dense [batch..., m, n] = a·b through the GEMM engine, using transpose flags for transposed views.</summary>
    private static unsafe void MatMulInto(Tensor a, Tensor b, Tensor y)
    {
        int m = a._shape[^2], k = a._shape[^1], n = b._shape[^1];
        var batch = y._shape.AsSpan(0, y.Rank - 2);
        if (y.Length == 0) return;

        // A 2-D right operand: fold a's batch into its rows when they are evenly spaced ([B, T, C]·[C, N]).
        if (b.Rank == 2 && a.Rank > 2 && a._strides[^1] == 1
            && TryCollapse(a._shape.AsSpan(0, a.Rank - 1), a._strides.AsSpan(0, a.Rank - 1), out _, out int rowStride))
        {
            a = new Tensor(a._storage, a.Offset, [y.Length / n, k], [rowStride, 1]);
            m = a._shape[0];
            batch = [];
        }

        var (ta, lda, aSource) = AsGemmOperand(a);
        var (tb, ldb, bSource) = AsGemmOperand(b);
        var aStrides = aSource.BatchStrides(batch);
        var bStrides = bSource.BatchStrides(batch);
        fixed (float* pa = aSource.Storage, pb = bSource.Storage, py = y.Storage)
        {
            float* a0 = pa + aSource.Offset, b0 = pb + bSource.Offset;
            if (TryCollapse(batch, aStrides, out int count, out int strideA) && TryCollapse(batch, bStrides, out _, out int strideB))
            {
                Gemm.SgemmBatched(ta, tb, m, n, k, 1f, a0, lda, strideA, b0, ldb, strideB, 0f, py, n, (long)m * n, count);
                return;
            }
            Span<int> ia = stackalloc int[batch.Length];
            Span<int> ib = stackalloc int[batch.Length];
            int oa = 0, ob = 0;
            for (int i = 0, total = Shapes.Count(batch); i < total; i++)
            {
                Gemm.Sgemm(ta, tb, m, n, k, 1f, a0 + oa, lda, b0 + ob, ldb, 0f, py + (long)i * m * n, n);
                oa = Odometer.Next(ia, batch, aStrides, oa, batch.Length);
                ob = Odometer.Next(ib, batch, bStrides, ob, batch.Length);
            }
        }
    }

    /// <summary>How GEMM should read this matrix view: transposed or not, its leading dimension, and the tensor to read.</summary>
    private static (bool Transposed, int Ld, Tensor Source) AsGemmOperand(Tensor t)
    {
        int rows = t._shape[^2], cols = t._shape[^1];
        int rs = t._strides[^2], cs = t._strides[^1];
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) return (false, Math.Max(1, rows == 1 ? cols : rs), t);
        if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) return (true, Math.Max(1, cols == 1 ? rows : cs), t);
        return AsGemmOperand(t.Detach().Contiguous());
    }

    /// <summary>Strides of this operand's batch dimensions broadcast to <paramref name="batch"/>.</summary>
    private int[] BatchStrides(ReadOnlySpan<int> batch)
    {
        var strides = new int[batch.Length];
        int lead = batch.Length - (Rank - 2);
        for (int i = 0; i < Rank - 2; i++)
            strides[lead + i] = _shape[i] == 1 ? 0 : _strides[i];
        return strides;
    }

    /// <summary>Whether dimensions with these sizes and strides are one evenly spaced run (then its count and stride).</summary>
    private static bool TryCollapse(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, out int count, out int stride)
    {
        count = 1;
        stride = 0;
        int last = -1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue;
            if (last < 0) stride = strides[i];
            else if (strides[i] != strides[last] * shape[last]) return false;
            count *= shape[i];
            last = i;
        }
        return true;
    }
}
