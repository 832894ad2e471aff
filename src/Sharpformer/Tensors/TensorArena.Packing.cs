namespace Sharpformer.Tensors;

// bf16 mixed precision: activations packed to bfloat16 once the forward pass is past them, widened again
// one backward node at a time.
public sealed partial class TensorArena
{
    private Precision _precision;

    // Storage of the tensors made in this scope, in order.
    private readonly List<TensorStorage> _storages = [];

    // Packed values go one after another into slabs kept from step to step (no size classes, so no gaps): the
    // slab being filled, and the next free bfloat16 slot in it.
    private readonly List<float[]> _slabs = [];
    private int _slab, _slabPosition;
    private long _packedBytes;
    private const int SlabFloats = 1 << 20;

    // Storage widened during the current backward node, to be dropped again when it is done.
    private readonly List<TensorStorage> _widened = [];

    /// <summary>Whether the active arena (if any) is a bf16 mixed-precision scope on this thread.</summary>
    internal static bool IsBFloat16 => t_current?._precision == Precision.BFloat16;

    /// <summary>A position in this scope's tensors: what <see cref="PackSince"/> packs starts after it.</summary>
    public static int Mark() => t_current?._storages.Count ?? 0;

    /// <summary>
    /// In a bf16 scope during the forward pass, packs every tensor made since <paramref name="mark"/> to bfloat16
    /// except <paramref name="keep"/> (and its views), giving their float32 memory back for the next layer; the
    /// backward pass widens each again when it needs it. Elsewhere does nothing. Returns <paramref name="keep"/>.
    /// </summary>
    public static Tensor PackSince(int mark, Tensor keep)
    {
        if (t_current is not { _precision: Precision.BFloat16, _inBackward: false } arena) return keep;
        var kept = keep.SharedStorage;
        for (int i = mark; i < arena._storages.Count; i++)
        {
            var storage = arena._storages[i];
            if (ReferenceEquals(storage, kept) || storage.DataIfPresent is null) continue;
            var (slab, start) = arena.PackedRoom(storage.Length);
            arena.GiveBackForward(storage.Pack(slab, start));
        }
        return keep;
    }

    // A buffer the forward pass no longer reads goes to the free lists now; it stays on the rented list, so the scope's
    // end must not push it a second time.
    private void GiveBackForward(float[] data)
    {
        if (PoisonOnRelease) data.AsSpan().Fill(float.NaN);
        Push(data);
        _returnedEarly.Add(data);
    }

    // Takes a storage off the list PackSince works through; false if this scope did not make it.
    private bool Unlist(TensorStorage storage)
    {
        int index = _storages.LastIndexOf(storage);
        if (index < 0) return false;
        _storages.RemoveAt(index);
        return true;
    }

    /// <summary>
    /// Keeps <paramref name="tensor"/>, made in this forward pass, float32 for good: <see cref="PackSince"/> passes it
    /// by (a gradient computed ahead of the backward pass, which must not be rounded). Returns <paramref name="tensor"/>.
    /// </summary>
    internal static Tensor KeepFloat32(Tensor tensor)
    {
        t_current?.Unlist(tensor.SharedStorage);
        return tensor;
    }

    /// <summary>
    /// Gives the memory of <paramref name="scratch"/>, a tensor made in this forward pass that nothing reads any more
    /// (a working copy, a block of logits), back to the free lists at once instead of at the scope's end. Without an
    /// active arena, or for a tensor the arena did not make, does nothing.
    /// </summary>
    internal static void Discard(Tensor scratch)
    {
        if (t_current is not { _inBackward: false } arena) return;
        var storage = scratch.SharedStorage;
        if (storage.DataIfPresent is not { } data || !arena.Unlist(storage)) return;
        storage.Discard();
        arena.GiveBackForward(data);
    }

    /// <summary>
    /// A float32 array for widening <paramref name="storage"/>'s packed values; during a backward pass it is
    /// dropped again after the node.
    /// </summary>
    internal static float[] RentWidened(TensorStorage storage, int length)
    {
        if (t_current is not { } arena) return new float[length];
        var data = arena.Take(SizeClass(length));
        if (arena._inBackward) arena._widened.Add(storage);
        return data;
    }

    // After a backward node: the storage it widened goes back to its packed form and the float32 arrays to
    // the free lists, except any a gradient of the node still reads (those stay float32 for good).
    private void DropWidened(Tensor gradOutput, Tensor?[] gradInputs)
    {
        if (_widened.Count == 0) return;
        foreach (var storage in _widened)
        {
            if (storage.DataIfPresent is not { } data) continue;
            bool read = ReferenceEquals(gradOutput.SharedStorage, storage);
            foreach (var g in gradInputs) read |= g is not null && ReferenceEquals(g.SharedStorage, storage);
            if (read)
            {
                storage.KeepWidened();
                _backwardBuffers.Remove(data);   // a plain activation again: not given back before the scope ends
                continue;
            }
            storage.DropWidened();
            ReturnEarly(data);
        }
        _widened.Clear();
    }

    // Room for n bfloat16 values: the rest of the current slab, else the next slab with room (a new one if none).
    private (float[] Slab, int Start) PackedRoom(int n)
    {
        n += n & 1;   // keep each run on a float32 boundary
        while (_slab < _slabs.Count && 2L * _slabs[_slab].Length - _slabPosition < n) (_slab, _slabPosition) = (_slab + 1, 0);
        if (_slab == _slabs.Count)
        {
            _slabs.Add(Grow(Math.Max(SlabFloats, n / 2)));
            _slabPosition = 0;
        }
        int start = _slabPosition;
        _slabPosition += n;
        _packedBytes += n * sizeof(ushort);
        InUse(n * sizeof(ushort));
        return (_slabs[_slab], start);
    }

    private void TrimSlabs()
    {
        if (_active) return;
        foreach (var slab in _slabs) RetainedBytes -= slab.Length * sizeof(float);
        _slabs.Clear();
    }

    private void ReleasePacked()
    {
        InUse(-_packedBytes);
        _packedBytes = 0;
        (_slab, _slabPosition) = (0, 0);
        _storages.Clear();
        _widened.Clear();
        _precision = Precision.Float32;
    }
}
