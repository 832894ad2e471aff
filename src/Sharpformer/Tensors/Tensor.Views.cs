using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements in a new shape (one dimension may be −1, inferred): a view whenever strides can
    /// express it (always for a contiguous tensor; e.g. splitting the last dimension of a column slice),
    /// else a contiguous copy.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        var target = InferShape(shape);
        var inputShape = _shape;
        var source = this;
        var strides = IsContiguous ? Shapes.ContiguousStrides(target) : ViewStrides(target);
        if (strides is null)
        {
            source = Contiguous();
            strides = Shapes.ContiguousStrides(target);
        }
        var view = new Tensor(source._storage, source.Offset, target, strides);
        return Record(view, "Reshape", [source], g => [g.Reshape(inputShape)]);
    }

    /// <summary>
    /// Strides that read this tensor's elements, in row-major order, as shape <paramref name="target"/>
    /// (same element count), or null if there are none. Dimensions of size 1 do not matter; the rest
    /// fall into runs in which each stride is the next one times its size, and each run must be split
    /// into (or merged from) whole target dimensions.
    /// </summary>
    private int[]? ViewStrides(int[] target)
    {
        var strides = new int[target.Length];
        if (Length == 0) return Shapes.ContiguousStrides(target);
        var sizes = new List<(int Size, int Stride)>(Rank);
        for (int i = 0; i < Rank; i++)
            if (_shape[i] != 1) sizes.Add((_shape[i], _strides[i]));
        int v = target.Length - 1;
        for (int last = sizes.Count - 1; last >= 0;)
        {
            int first = last;
            long runLength = sizes[last].Size;
            while (first > 0 && sizes[first - 1].Stride == (long)sizes[first].Stride * sizes[first].Size)
                runLength *= sizes[--first].Size;
            long covered = 1;
            while (v >= 0 && covered < runLength)
            {
                strides[v] = (int)(sizes[last].Stride * covered);
                covered *= target[v--];
            }
            if (covered != runLength) return null;
            last = first - 1;
        }
        for (; v >= 0; v--)
        {
            if (target[v] != 1) return null;
            strides[v] = 1;
        }
        return strides;
    }

    /// <summary>All elements as one dimension.</summary>
    public Tensor Flatten() => Reshape(-1);

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int axis0, int axis1)
    {
        int a = Shapes.NormalizeAxis(axis0, Rank, "Transpose"), b = Shapes.NormalizeAxis(axis1, Rank, "Transpose");
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        (strides[a], strides[b]) = (strides[b], strides[a]);
        return Record(new Tensor(_storage, Offset, shape, strides), "Transpose", [this], g => [g.Transpose(a, b)]);
    }

    /// <summary>Reorders dimensions: result dimension i is this tensor's dimension dims[i] (a view).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
            throw new ShapeMismatchException($"Permute: {dims.Length} dimensions given for a tensor of shape {Shapes.Format(_shape)}");
        var shape = new int[Rank];
        var strides = new int[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Shapes.NormalizeAxis(dims[i], Rank, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dimension {d} appears twice in [{string.Join(", ", dims)}]");
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
            inverse[d] = i;
        }
        return Record(new Tensor(_storage, Offset, shape, strides), "Permute", [this], g => [g.Permute(inverse)]);
    }

    /// <summary>
    /// Elements start, start + step, … before end along <paramref name="axis"/> (a view). Negative start
    /// and end count from the end, as in Python.
    /// </summary>
    public Tensor Slice(int axis, int start, int end, int step = 1)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Slice");
        int size = _shape[d];
        int s = start < 0 ? start + size : start, e = end < 0 ? end + size : end;
        if (step <= 0 || s < 0 || e > size || s > e)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: [{start}:{end}:{step}] is not a valid range of dimension {d} (size {size})");
        if (s == 0 && e == size && step == 1) return this;   // the whole dimension: nothing to view or scatter back
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        shape[d] = (e - s + step - 1) / step;
        strides[d] *= step;
        var view = new Tensor(_storage, Offset + s * _strides[d], shape, strides);
        var inputShape = _shape;
        return Record(view, "Slice", [this], g =>
        {
            var full = Allocate((int[])inputShape.Clone(), zeroed: false);   // zero but for g in the slice
            var (outer, n, inner) = Reductions.Split(inputShape, d);
            SliceGradient.Run(g.Contiguous().AsSpan(), full.AsSpan(), outer, n, inner, s, e, step);
            return [full];
        });
    }

    /// <summary>
    /// <paramref name="length"/> elements from <paramref name="start"/> along <paramref name="axis"/> (a
    /// view), as torch.narrow.
    /// </summary>
    public Tensor Narrow(int axis, int start, int length) => Slice(axis, start, start + length);

    /// <summary>Inserts a dimension of size 1 at <paramref name="axis"/> (−1 appends).</summary>
    public Tensor Unsqueeze(int axis)
    {
        int d = Shapes.NormalizeAxis(axis, Rank + 1, "Unsqueeze");
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>
    /// Removes dimension <paramref name="axis"/> if its size is 1 (otherwise returns the tensor unchanged, as
    /// torch.squeeze).
    /// </summary>
    public Tensor Squeeze(int axis)
    {
        int d = Shapes.NormalizeAxis(axis, Rank, "Squeeze");
        if (_shape[d] != 1) return this;
        return Reshape([.. _shape.Where((_, i) => i != d)]);
    }

    /// <summary>
    /// A view repeating size-1 dimensions (and adding leading ones) to reach <paramref name="shape"/>;
    /// −1 keeps a dimension. No data is copied.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        if (shape.Length < Rank)
            throw new ShapeMismatchException(
                $"Expand: cannot expand shape {Shapes.Format(_shape)} to fewer dimensions {Shapes.Format(shape)}");
        var target = (int[])shape.Clone();
        int lead = target.Length - Rank;
        for (int i = 0; i < target.Length; i++)
        {
            int own = i < lead ? 1 : _shape[i - lead];
            if (target[i] == -1 && i >= lead) target[i] = own;
            if (target[i] < 0 || (own != 1 && own != target[i]))
                throw new ShapeMismatchException($"Expand: shape {Shapes.Format(_shape)} cannot be expanded to {Shapes.Format(shape)}");
        }
        var view = new Tensor(_storage, Offset, target, BroadcastStrides(target));
        var inputShape = _shape;
        return Record(view, "Expand", [this], g => [g.SumToShape(inputShape)]);
    }

    /// <summary>
    /// Overwrites this tensor's elements (through a view, too) with <paramref name="source"/>'s; shapes must
    /// match. Not recorded.
    /// </summary>
    internal void CopyFrom(Tensor source)
    {
        if (!Shape.SequenceEqual(source.Shape))
            throw new ShapeMismatchException(
                $"CopyFrom: source shape {Shapes.Format(source.Shape)} does not match {Shapes.Format(_shape)}");
        StridedCopy.Scatter(source.Contiguous().AsSpan(), Storage, Offset, _shape, _strides);
    }

    /// <summary>This tensor if contiguous, else a row-major copy (gradients pass through).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy (gradients pass through, as torch.clone).</summary>
    public Tensor Clone()
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        CopyTo(y.AsSpan());
        return Record(y, "Clone", [this], g => [g]);
    }

    private int[] InferShape(int[] shape)
    {
        var target = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (infer >= 0) throw new ShapeMismatchException($"Reshape: only one dimension can be -1 in {Shapes.Format(shape)}");
                infer = i;
            }
            else if (target[i] < 0) throw new ShapeMismatchException($"Reshape: invalid shape {Shapes.Format(shape)}");
            else known *= target[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Length % known != 0)
                throw new ShapeMismatchException(
                    $"Reshape: shape {Shapes.Format(shape)} is invalid for input of shape {Shapes.Format(_shape)} ({Length} elements)");
            target[infer] = (int)(Length / known);
        }
        else if (known != Length)
        {
            throw new ShapeMismatchException(
                $"Reshape: shape {Shapes.Format(shape)} is invalid for input of shape {Shapes.Format(_shape)} ({Length} elements)");
        }
        return target;
    }
}
