using System.Numerics.Tensors;

namespace Sharpformer.Kernels;

/// <summary>
/// One [B, H, rows, cols] operand of attention, read or written in place: element (b, h, r, c) lies at
/// <c>At(b, h) + r·RowStride + c</c>. Strided views (heads split off a projection) need no copy.
/// </summary>
internal readonly unsafe struct HeadMatrices(float* data, int batchStride, int headStride, int rowStride)
{
    /// <summary>Null when the operand is absent (a gradient nobody needs).</summary>
    public readonly float* Data = data;

    public readonly int RowStride = rowStride;

    /// <summary>The [rows, cols] matrix of batch entry b, head h.</summary>
    public float* At(int b, int h) => Data + (nint)b * batchStride + (nint)h * headStride;
}

/// <summary>An additive mask read as if broadcast to the scores [B, H, T, S] (stride 0 on broadcast dimensions).</summary>
internal readonly unsafe struct ScoreMask(float* data, int batchStride, int headStride, int rowStride, int columnStride)
{
    public bool IsPresent => data != null;

    /// <summary>row += mask[b, h, i, firstColumn : firstColumn + row.Length].</summary>
    public void AddTo(Span<float> row, int b, int h, int i, int firstColumn = 0)
    {
        float* m = data + (nint)b * batchStride + (nint)h * headStride + (nint)i * rowStride + (nint)firstColumn * columnStride;
        if (columnStride == 1)
        {
            TensorPrimitives.Add(row, new ReadOnlySpan<float>(m, row.Length), row);
            return;
        }
        for (int j = 0; j < row.Length; j++) row[j] += m[(nint)j * columnStride];
    }
}

/// <summary>
/// The operands of one fused attention call: q: [B, H, T, d], k: [B, H, S, d], v: [B, H, S, dv],
/// out: [B, H, T, dv], an optional mask, and the softmax P: [B, H, T, S] (row-major) kept for the
/// backward pass, or null when nobody needs it. Dropout with probability <see cref="DropP"/> is keyed by
/// <see cref="DropKey"/>; element (b, h, i, j) of P has dropout index ((b·H + h)·T + i)·S + j.
/// </summary>
internal readonly unsafe struct AttentionProblem
{
    public required int Batch { get; init; }
    public required int Heads { get; init; }
    public required int T { get; init; }
    public required int S { get; init; }
    public required int D { get; init; }
    public required int Dv { get; init; }
    public required float Scale { get; init; }
    public required HeadMatrices Q { get; init; }
    public required HeadMatrices K { get; init; }
    public required HeadMatrices V { get; init; }
    public required HeadMatrices Out { get; init; }
    public required ScoreMask Mask { get; init; }
    public required float* Probs { get; init; }
    public float DropP { get; init; }
    public ulong DropKey { get; init; }

    /// <summary>Independent (batch entry, head) pairs.</summary>
    public int Pairs => Batch * Heads;

    /// <summary>Multiply-adds of one pair's forward pass.</summary>
    public long PairWork => (long)T * S * (D + Dv);
}
