using System.Runtime.InteropServices;

namespace Sharpformer.Kernels;

/// <summary>
/// A per-thread, 64-byte aligned scratch buffer for packed panels (and partial products). It only grows, so steady-state GEMM calls
/// allocate nothing; the memory is released when the owning thread's workspace is collected.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic]
    private static GemmWorkspace? t_current, t_partials;

    private float* _buffer;
    private nint _capacity;

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>The calling thread's second workspace: a partial product that lives across calls using <see cref="Current"/>.</summary>
    public static GemmWorkspace Partials => t_partials ??= new GemmWorkspace();

    /// <summary>A buffer of at least <paramref name="floats"/> floats, 64-byte aligned. Invalidated by the next call.</summary>
    public float* Get(nint floats)
    {
        if (floats > _capacity)
        {
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
            _buffer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            _capacity = floats;
        }
        return _buffer;
    }

    ~GemmWorkspace() => NativeMemory.AlignedFree(_buffer);
}
