using System.Runtime.InteropServices;

namespace Sharpformer.Kernels;

/// <summary>
/// A per-thread, 64-byte aligned scratch buffer for packed panels (and partial products). It only grows, so steady-state GEMM calls
/// allocate nothing; the memory is released when the owning thread's workspace is collected.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic]
    private static GemmWorkspace? t_current, t_partials, t_shared;

    private static long s_tags;

    private float* _buffer;
    private nint _capacity;

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>The calling thread's second workspace: a partial product that lives across calls using <see cref="Current"/>.</summary>
    public static GemmWorkspace Partials => t_partials ??= new GemmWorkspace();

    /// <summary>
    /// The calling thread's third workspace: an operand of a parallel product packed whole, reused by every unit of the
    /// product the thread computes (<see cref="Tag"/> says which product).
    /// </summary>
    public static GemmWorkspace Shared => t_shared ??= new GemmWorkspace();

    /// <summary>A number no other call returns, naming what a workspace holds.</summary>
    public static long NextTag() => Interlocked.Increment(ref s_tags);

    /// <summary>What the buffer holds, as its user named it (0: nothing named).</summary>
    public long Tag { get; set; }

    /// <summary>A buffer of at least <paramref name="floats"/> floats, 64-byte aligned. Invalidated by the next call.</summary>
    public float* Get(nint floats)
    {
        if (floats > _capacity)
        {
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
            _buffer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            _capacity = floats;
            Tag = 0;
        }
        return _buffer;
    }

    ~GemmWorkspace() => NativeMemory.AlignedFree(_buffer);
}
