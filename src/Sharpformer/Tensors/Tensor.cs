using System.Globalization;
using System.Text;
using Sharpformer.Autograd;
using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

/// <summary>
/// An n-dimensional array of float32 values: a storage array, an offset into it, a shape and strides
/// (row-major when contiguous). Views (reshape, transpose, slices, expand) share the storage.
/// A tensor that requires grad records the op that made it, so <see cref="Backward"/> can compute
/// gradients of every leaf tensor it depends on.
/// </summary>
public sealed partial class Tensor
{
    private readonly TensorStorage _storage;
    internal readonly int Offset;
    private readonly int[] _shape;
    private readonly int[] _strides;

    internal Tensor(float[] storage, int offset, int[] shape, int[] strides)
        : this(new TensorStorage(storage, storage.Length), offset, shape, strides)
    {
    }

    // A view of (or a new tensor over) storage that other tensors may share.
    internal Tensor(TensorStorage storage, int offset, int[] shape, int[] strides)
    {
        _storage = storage;
        Offset = offset;
        _shape = shape;
        _strides = strides;
        Length = Shapes.Count(shape);
    }

    /// <summary>A new contiguous tensor that owns <paramref name="data"/> (not copied).</summary>
    internal Tensor(float[] data, int[] shape) : this(data, 0, shape, Shapes.ContiguousStrides(shape))
    {
        if (data.Length != Length)
            throw new ShapeMismatchException($"Tensor: {data.Length} values cannot fill shape {Shapes.Format(shape)} ({Length} elements)");
    }

    /// <summary>The float32 values behind this tensor and its views (widened first if packed to bfloat16).</summary>
    internal float[] Storage => _storage.Data;

    /// <summary>The storage object this tensor shares with its views.</summary>
    internal TensorStorage SharedStorage => _storage;

    /// <summary>The size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Elements to step in storage per index step in each dimension (0 for a broadcast dimension).</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Size(int axis) => _shape[Shapes.NormalizeAxis(axis, Rank, "Size")];

    /// <summary>Whether the elements lie in storage in row-major order with no gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != expected) return false;
                expected *= _shape[i];
            }
            return true;
        }
    }

    // ---- autograd state -------------------------------------------------------------------------

    /// <summary>Whether gradients flow to this tensor. Set it on leaf tensors (parameters, inputs).</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn is not null)
                throw new InvalidOperationException("RequiresGrad: cannot turn off gradients of a tensor made by an op; use Detach().");
            _requiresGrad = value;
        }
    }

    private bool _requiresGrad;

    /// <summary>
    /// Accumulated gradient of a leaf tensor after <see cref="Backward"/>; null until then or after
    /// <see cref="ZeroGrad"/>.
    /// </summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; private set; }

    /// <summary>True for tensors not produced by a recorded op.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for fluent creation.</summary>
    public Tensor RequireGrad(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    /// <summary>
    /// Clears the accumulated gradient. Its memory is kept and reused by the next <see cref="Backward"/>,
    /// so a <see cref="Grad"/> tensor read earlier is overwritten then (copy it to keep it).
    /// </summary>
    public void ZeroGrad() => Grad = null;

    // The leaf's gradient storage, outside any arena, reused from step to step.
    private Tensor? _gradBuffer;

    /// <summary>Adds <paramref name="g"/> (this tensor's shape) to <see cref="Grad"/>, which starts at zero.</summary>
    internal void AccumulateGrad(Tensor g)
    {
        if (Grad is null)
        {
            _gradBuffer ??= new Tensor(new float[Length], ShapeArray());
            g.CopyTo(_gradBuffer.AsSpan());
            Grad = _gradBuffer;
        }
        else
        {
            // Grad is the leaf's own dense buffer (offset 0); the sum is split over threads like any elementwise op.
            var dense = g.Contiguous();
            var job = new DenseBinaryJob<AddOp>(Grad.Storage, 0, dense.Storage, dense.Offset, Grad.Storage);
            ParallelRange.For(Length, ElementwiseGrain, ref job);
        }
    }

    /// <summary>A tensor sharing this one's data but cut from the graph (no gradient flows through it).</summary>
    public Tensor Detach() => new(_storage, Offset, _shape, _strides);

    /// <summary>
    /// Computes gradients of this tensor with respect to every leaf that requires grad, adding them to
    /// their <see cref="Grad"/>. A scalar needs no <paramref name="gradient"/>; otherwise pass dL/dthis.
    /// </summary>
    public void Backward(Tensor? gradient = null) => BackwardEngine.Run(this, gradient);

    /// <summary>Attaches the node that made this tensor (called by ops when grad mode is on).</summary>
    internal Tensor WithGradFn(Node node)
    {
        GradFn = node;
        _requiresGrad = true;
        return this;
    }

    // ---- element access -------------------------------------------------------------------------

    /// <summary>The element at a full index (one entry per dimension).</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Storage[StorageIndex(index)];
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item: tensor of shape {Shapes.Format(_shape)} has {Length} elements, not 1");
        return Storage[Offset];
    }

    /// <summary>A copy of the elements in row-major order.</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Copies the elements, in row-major order, into <paramref name="dst"/>.</summary>
    internal void CopyTo(Span<float> dst) => Kernels.StridedCopy.Run(Storage, Offset, ShapeRef, StridesRef, dst);

    /// <summary>A copy of the shape.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>The elements of a contiguous tensor, in place.</summary>
    internal Span<float> AsSpan()
    {
        if (!IsContiguous) throw new InvalidOperationException("AsSpan: tensor is not contiguous");
        return Storage.AsSpan(Offset, Length);
    }

    /// <summary>The elements of a contiguous tensor, in place, for use where a span cannot be held.</summary>
    internal Memory<float> AsMemory()
    {
        if (!IsContiguous) throw new InvalidOperationException("AsMemory: tensor is not contiguous");
        return Storage.AsMemory(Offset, Length);
    }

    internal int[] ShapeRef => _shape;
    internal int[] StridesRef => _strides;

    private int StorageIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Indexer: {index.Length} indices given for a tensor of rank {Rank}");
        int at = Offset;
        for (int i = 0; i < index.Length; i++)
        {
            int k = index[i] < 0 ? index[i] + _shape[i] : index[i];
            if (k < 0 || k >= _shape[i])
                throw new IndexOutOfRangeException($"Indexer: index {index[i]} is out of range for dimension {i} of size {_shape[i]}");
            at += k * _strides[i];
        }
        return at;
    }

    /// <summary>Shape, and the values when there are few, e.g. <c>Tensor[2, 2] [[1, 2], [3, 4]]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder($"Tensor{Shapes.Format(_shape)}");
        if (GradFn is not null) sb.Append(" grad_fn=").Append(GradFn.Name);
        else if (RequiresGrad) sb.Append(" requires_grad");
        if (Length > 64) return sb.ToString();
        var values = ToArray();
        sb.Append(' ');
        int pos = 0;
        AppendNested(sb, values, 0, ref pos);
        return sb.ToString();
    }

    private void AppendNested(StringBuilder sb, float[] values, int dim, ref int pos)
    {
        if (dim == Rank)
        {
            sb.Append(values[pos++].ToString("G6", CultureInfo.InvariantCulture));
            return;
        }
        sb.Append('[');
        for (int i = 0; i < _shape[dim]; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendNested(sb, values, dim + 1, ref pos);
        }
        sb.Append(']');
    }
}
