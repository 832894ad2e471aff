namespace Sharpformer.Kernels;

/// <summary>
/// A register-tiled micro-kernel plus the cache blocking tuned for it. Implemented by structs so that the
/// blocked driver is specialised per kernel (the constants below fold into the generated code).
/// </summary>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of C per micro-tile (height of a packed A panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C per micro-tile (width of a packed B panel).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of a K block: a packed B micro-panel [KC, NR] should stay in L1.</summary>
    static abstract int KC { get; }

    /// <summary>Largest M block: the packed A block [MC, KC] should stay in L2.</summary>
    static abstract int MC { get; }

    /// <summary>Largest N block: the packed B block [KC, NC] should stay in L3.</summary>
    static abstract int NC { get; }

    /// <summary>Whether packing may use 256-bit AVX transposes (false keeps the path fully portable).</summary>
    static abstract bool AvxPacking { get; }

    /// <summary>
    /// One full micro-tile: C[MR, NR] = alpha·(A panel · B panel) + beta·C, where the A panel is [kc, MR]
    /// and the B panel is [kc, NR]: step p of k reads row r of A at a + r·aRowStep + p·aStep and the NR values
    /// of B at b + p·bStep (packed panels have aRowStep = 1, aStep = MR and bStep = NR; an unpacked operand
    /// passes its strides). beta == 0 never reads C.
    /// </summary>
    static abstract void Run(int kc, float* a, nint aStep, nint aRowStep, float* b, nint bStep, float* c, nint ldc, float alpha,
        float beta);
}
