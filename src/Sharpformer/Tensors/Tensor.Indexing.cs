using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// The slices at <paramref name="indices"/> along <paramref name="axis"/> (as torch.index_select);
    /// an embedding lookup is <c>weight.IndexSelect(0, ids)</c>. Repeated indices accumulate gradients.
    /// </summary>
    public Tensor IndexSelect(int axis, ReadOnlySpan<int> indices)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "IndexSelect");
        var (outer, n, inner) = Reductions.Split(_shape, d);
        var ids = indices.ToArray();
        foreach (int id in ids)
            if (id < 0 || id >= n)
                throw new IndexOutOfRangeException($"IndexSelect: index {id} is out of range for dimension {d} of size {n}");
        var shape = (int[])_shape.Clone();
        shape[d] = ids.Length;
        var x = Contiguous().AsSpan();
        var y = Allocate(shape, zeroed: false);
        var data = y.AsSpan();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < ids.Length; j++)
                x.Slice((o * n + ids[j]) * inner, inner).CopyTo(data.Slice((o * ids.Length + j) * inner, inner));
        var inputShape = _shape;
        return Record(y, "IndexSelect", [this], g =>
        {
            var dInput = Allocate((int[])inputShape.Clone(), zeroed: false);   // zeros but for the rows the indices name
            GatherGradient.Run(g.Contiguous().AsSpan(), dInput.AsSpan(), outer, n, inner, ids);
            return [dInput];
        });
    }

    /// <summary>IndexSelect with indices held in a 1-D tensor of whole numbers.</summary>
    public Tensor IndexSelect(int axis, Tensor indices)
    {
        if (indices.Rank != 1)
            throw new ShapeMismatchException($"IndexSelect: indices must be 1-D, got shape {Shapes.Format(indices._shape)}");
        return IndexSelect(axis, ToIndices(indices, "IndexSelect"));
    }

    /// <summary>
    /// out[i₀…iₙ] = this[i₀…index[i₀…iₙ]…iₙ] with the index replacing dimension <paramref name="axis"/>
    /// (as torch.gather): <paramref name="index"/> has this tensor's rank and no larger a size elsewhere.
    /// </summary>
    public Tensor Gather(int axis, Tensor index)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Gather");
        if (index.Rank != Rank)
            throw new ShapeMismatchException(
                $"Gather: index shape {Shapes.Format(index._shape)} must have the rank of input shape {Shapes.Format(_shape)}");
        for (int i = 0; i < Rank; i++)
            if (i != d && index._shape[i] > _shape[i])
                throw new ShapeMismatchException(
                    $"Gather: index shape {Shapes.Format(index._shape)} exceeds input shape {Shapes.Format(_shape)} at dimension {i}");
        var ids = ToIndices(index, "Gather");
        foreach (int id in ids)
            if (id < 0 || id >= _shape[d])
                throw new IndexOutOfRangeException($"Gather: index {id} is out of range for dimension {d} of size {_shape[d]}");
        var offsets = GatherOffsets(index._shape, d, ids);
        var data = new float[ids.Length];
        for (int i = 0; i < data.Length; i++) data[i] = Storage[Offset + offsets[i]];
        var inputShape = _shape;
        return Record(new Tensor(data, (int[])index._shape.Clone()), "Gather", [this], g =>
        {
            var gs = g.Contiguous().AsSpan();
            var dense = Allocate((int[])inputShape.Clone());
            var targets = dense.GatherOffsets(index._shape, d, ids);
            for (int i = 0; i < gs.Length; i++) dense.Storage[targets[i]] += gs[i];
            return [dense];
        });
    }

    /// <summary>Joins tensors along <paramref name="axis"/>; all other dimensions must agree.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat: no tensors given");
        var first = tensors[0];
        int d = Shapes.NormalizeAxis(axis, first.Rank, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            bool same = t.Rank == first.Rank;
            for (int i = 0; same && i < t.Rank; i++) same = i == d || t._shape[i] == first._shape[i];
            if (!same)
                throw new ShapeMismatchException(
                    $"Concat: shapes {Shapes.Format(first._shape)} and {Shapes.Format(t._shape)} differ outside dimension {d}");
            total += t._shape[d];
        }
        var shape = (int[])first._shape.Clone();
        shape[d] = total;
        var y = Allocate(shape, zeroed: false);
        var sizes = new int[tensors.Count];
        int at = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            sizes[i] = tensors[i]._shape[d];
            y.Slice(d, at, at + sizes[i]).CopyFrom(tensors[i]);
            at += sizes[i];
        }
        return Record(y, "Concat", [.. tensors], g => [.. g.Split(sizes, d)]);
    }

    /// <summary>Views of consecutive pieces of the given sizes along <paramref name="axis"/>; sizes must add up to its length.</summary>
    public Tensor[] Split(IReadOnlyList<int> sizes, int axis)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != _shape[d])
            throw new ShapeMismatchException(
                $"Split: sizes [{string.Join(", ", sizes)}] do not add up to dimension {d} of shape {Shapes.Format(_shape)}");
        var parts = new Tensor[sizes.Count];
        for (int i = 0, at = 0; i < parts.Length; at += sizes[i], i++) parts[i] = Narrow(d, at, sizes[i]);
        return parts;
    }

    /// <summary>
    /// Views of <paramref name="size"/> elements each along <paramref name="axis"/> (the last may be
    /// shorter), as torch.split.
    /// </summary>
    public Tensor[] Split(int size, int axis)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Split");
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"Split: piece size {size} must be positive");
        var sizes = new List<int>();
        for (int at = 0; at < _shape[d]; at += size) sizes.Add(Math.Min(size, _shape[d] - at));
        return Split(sizes, d);
    }

    /// <summary>
    /// Elements of <paramref name="whenTrue"/> where <paramref name="condition"/> is non-zero, else of
    /// <paramref name="whenFalse"/>; all three broadcast.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse)
    {
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition._shape, whenTrue._shape, "Where"), whenFalse._shape, "Where");
        var c = condition.Detach().Expand(shape).ToArray();
        var t = whenTrue.Detach().Expand(shape).ToArray();
        var f = whenFalse.Detach().Expand(shape).ToArray();
        var data = new float[c.Length];
        for (int i = 0; i < data.Length; i++) data[i] = c[i] != 0 ? t[i] : f[i];
        return Record(new Tensor(data, shape), "Where", [whenTrue, whenFalse], g =>
        {
            var gs = g.Contiguous().AsSpan();
            var gt = new float[c.Length];
            var gf = new float[c.Length];
            for (int i = 0; i < c.Length; i++)
                if (c[i] != 0) gt[i] = gs[i]; else gf[i] = gs[i];
            return [new Tensor(gt, shape).SumToShape(whenTrue._shape), new Tensor(gf, shape).SumToShape(whenFalse._shape)];
        });
    }

    /// <summary>This tensor with <paramref name="value"/> where <paramref name="mask"/> (broadcast to this shape) is non-zero.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        var shape = Shapes.Broadcast(_shape, mask._shape, "MaskedFill");
        if (!shape.AsSpan().SequenceEqual(_shape))
            throw new ShapeMismatchException(
                $"MaskedFill: mask shape {Shapes.Format(mask._shape)} does not broadcast to input shape {Shapes.Format(_shape)}");
        return Where(mask, Scalar(value), this);
    }

    private static int[] ToIndices(Tensor index, string op)
    {
        var values = index.ToArray();
        var ids = new int[values.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Round(v) || Math.Abs(v) > 1 << 24)
                throw new ArgumentException($"{op}: index value {v} is not a whole number");
            ids[i] = (int)v;
        }
        return ids;
    }

    /// <summary>Storage offsets (relative to Offset) of the elements a gather with this index reads.</summary>
    private int[] GatherOffsets(int[] indexShape, int axis, int[] ids)
    {
        var offsets = new int[ids.Length];
        Span<int> position = stackalloc int[indexShape.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            int at = 0;
            for (int dim = 0; dim < Rank; dim++) at += (dim == axis ? ids[i] : position[dim]) * _strides[dim];
            offsets[i] = at;
            for (int dim = indexShape.Length - 1; dim >= 0; dim--)
            {
                if (++position[dim] < indexShape[dim]) break;
                position[dim] = 0;
            }
        }
        return offsets;
    }
}
