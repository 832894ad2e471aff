using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

/// <summary>
/// The float32 array behind a tensor and every view of it. Under bf16 mixed precision the active
/// <see cref="TensorArena"/> may pack an activation to bfloat16 once the forward pass is past it: the
/// float32 array goes back to the arena for reuse, and the values come back, rounded, the next time a
/// tensor reads <see cref="Data"/> (during the backward pass, the node that needs them).
/// </summary>
internal sealed class TensorStorage(float[] data, int length)
{
    private float[]? _data = data;
    private readonly int _length = length;   // the values in use: an arena buffer may be longer
    private float[]? _packed;      // bfloat16 values, two to a float32 slot, from _packedStart on
    private int _packedStart, _packedLength;

    /// <summary>The values as float32, widened from bfloat16 first if they are packed.</summary>
    public float[] Data => _data ?? Unpack();

    /// <summary>How many values are in use (what packing keeps).</summary>
    public int Length => _length;

    /// <summary>The float32 array if it exists now, without unpacking.</summary>
    public float[]? DataIfPresent => _data;

    /// <summary>
    /// While the values wait packed (no float32 array): the array holding them as bfloat16, two to a float32 slot, and the
    /// bfloat16 slot of value 0. Null otherwise. A reader that widens as it goes (the GEMM's packing) needs no float32 copy.
    /// </summary>
    public (float[] Slots, int Start)? Packed => _data is null && _packed is not null ? (_packed, _packedStart) : null;

    /// <summary>
    /// Narrows the values in use into <paramref name="packed"/> from bfloat16 slot <paramref name="start"/> on (room
    /// for <see cref="Length"/> values) and keeps that instead; returns the float32 array, which the caller gives back.
    /// </summary>
    public float[] Pack(float[] packed, int start)
    {
        var data = _data ?? throw new InvalidOperationException("TensorStorage: already packed");
        (_packed, _packedStart, _packedLength) = (packed, start, _length);
        BFloat16.Narrow(data, packed, start, _length);
        _data = null;
        return data;
    }

    /// <summary>Forgets the float32 array widened from the packed copy (the caller gives it back); the packed copy stays.</summary>
    public void DropWidened()
    {
        if (_packed is null) throw new InvalidOperationException("TensorStorage: only a packed storage can drop its float32 copy");
        _data = null;
    }

    /// <summary>Forgets the values (the caller gives the float32 array back); reading them afterwards is an error.</summary>
    public void Discard() => (_data, _packed) = (null, null);

    /// <summary>Makes the widened float32 array this storage's own for good (a gradient reads it); the packed copy is forgotten.</summary>
    public void KeepWidened() => _packed = null;

    private float[] Unpack()
    {
        lock (this)
        {
            if (_data is not null) return _data;
            if (_packed is null)
                throw new InvalidOperationException("TensorStorage: the values were discarded (a scratch tensor read after its use)");
            var data = TensorArena.RentWidened(this, _packedLength);
            BFloat16.Widen(_packed!, _packedStart, data, _packedLength);
            return _data = data;
        }
    }
}
