namespace Sharpformer.Tensors;

/// <summary>
/// Reuses the memory of intermediate tensors from one training step to the next. While an arena is
/// active on a thread (<c>using (arena.Activate()) { forward; backward; step; }</c>), every tensor that
/// an op makes on that thread takes its storage from the arena; when the scope ends, all of it is
/// returned for the next step, so steady-state training allocates almost nothing.
/// Tensors made inside the scope must not be used after it ends. Parameters, their gradients and
/// optimizer state live outside any arena.
/// </summary>
public sealed partial class TensorArena
{
    [ThreadStatic] private static TensorArena? t_current;

    // Free buffers by size class; buffers handed out during the active scope.
    private readonly Dictionary<int, Stack<float[]>> _free = [];
    private readonly List<float[]> _rented = [];
    private bool _active;

    // Buffers handed out during a backward pass (which may give them back early), and those given back.
    private readonly HashSet<float[]> _backwardBuffers = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<float[]> _returnedEarly = new(ReferenceEqualityComparer.Instance);
    private bool _inBackward;

    // Buffers rented since the current backward node began: its scratch, unless a gradient it returns reads one.
    private readonly List<float[]> _nodeBuffers = [];

    /// <summary>Whether an arena is active on this thread.</summary>
    public static bool IsActive => t_current is not null;

    /// <summary>Values held for reuse (rented and free), in bytes.</summary>
    public long RetainedBytes { get; private set; }

    /// <summary>
    /// The most bytes handed out at one time since the arena was made: what a step needs, where
    /// <see cref="RetainedBytes"/> also counts buffers of one size waiting while another size was short.
    /// </summary>
    public long PeakInUseBytes { get; private set; }

    private long _inUseBytes;

    private void InUse(long bytes)
    {
        _inUseBytes += bytes;
        PeakInUseBytes = Math.Max(PeakInUseBytes, _inUseBytes);
    }

    /// <summary>Test hook: fill buffers with NaN when they are returned, so a tensor used after its scope shows up.</summary>
    internal bool PoisonOnRelease { get; set; }

    /// <summary>
    /// Makes this arena the source of tensor storage on this thread until the scope is disposed. With
    /// <see cref="Precision.BFloat16"/>, layers pack the activations they leave behind to bfloat16 and the
    /// weights are read through bfloat16 working copies (see <see cref="PackSince"/>).
    /// </summary>
    public Scope Activate(Precision precision = Precision.Float32)
    {
        if (_active) throw new InvalidOperationException("TensorArena: this arena is already active");
        _active = true;
        _precision = precision;
        var previous = t_current;
        t_current = this;
        return new Scope(this, previous);
    }

    /// <summary>Drops the free buffers (the memory goes back to the garbage collector).</summary>
    public void Trim()
    {
        foreach (var stack in _free.Values)
            foreach (var buffer in stack) RetainedBytes -= buffer.Length * sizeof(float);
        _free.Clear();
        TrimSlabs();
    }

    /// <summary>Ends an <see cref="Activate"/> scope: every buffer handed out in it is free again.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly TensorArena _arena;
        private readonly TensorArena? _previous;

        internal Scope(TensorArena arena, TensorArena? previous) => (_arena, _previous) = (arena, previous);

        /// <summary>Restores the previous arena (or none) and frees this scope's buffers.</summary>
        public void Dispose()
        {
            t_current = _previous;
            _arena.ReleaseAll();
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="length"/> floats: from the active arena if there is one,
    /// otherwise a new array. Zeroed when <paramref name="zeroed"/> is set; otherwise its contents are
    /// arbitrary and the caller must write every element it reads.
    /// </summary>
    internal static float[] Rent(int length, bool zeroed = true)
    {
        var arena = t_current;
        if (arena is null || length < MinimumPooled)
            return zeroed || length < 1024 ? new float[length] : GC.AllocateUninitializedArray<float>(length);
        var buffer = arena.Take(SizeClass(length));
        if (zeroed) Array.Clear(buffer, 0, length);
        return buffer;
    }

    /// <summary>Storage for a new tensor: <see cref="Rent"/>, recorded so a bf16 scope can pack it later.</summary>
    internal static TensorStorage RentStorage(int length, bool zeroed)
    {
        var storage = new TensorStorage(Rent(length, zeroed), length);
        if (t_current is { } arena && length >= MinimumPooled) arena._storages.Add(storage);
        return storage;
    }

    // Below this, a fresh array is cheaper than the bookkeeping.
    private const int MinimumPooled = 64;

    private float[] Take(int size)
    {
        var buffer = _free.TryGetValue(size, out var stack) && stack.Count > 0 ? stack.Pop() : TakeLarger(size) ?? Grow(size);
        InUse(buffer.Length * (long)sizeof(float));
        if (!_returnedEarly.Remove(buffer)) _rented.Add(buffer);   // one given back early is still on the rented list
        if (_inBackward)
        {
            _backwardBuffers.Add(buffer);
            _nodeBuffers.Add(buffer);
        }
        return buffer;
    }

    /// <summary>
    /// Marks the start of a backward pass on this thread's arena: buffers rented until <see cref="EndBackward"/>
    /// may be given back early with <see cref="ReturnEarly"/>. Returns whether an arena is active.
    /// </summary>
    internal static bool BeginBackward()
    {
        if (t_current is not { } arena || arena._inBackward) return false;
        arena._inBackward = true;
        return true;
    }

    /// <summary>Ends what <see cref="BeginBackward"/> started.</summary>
    internal static void EndBackward()
    {
        if (t_current is not { } arena) return;
        arena._inBackward = false;
        arena._backwardBuffers.Clear();
        arena._nodeBuffers.Clear();
    }

    /// <summary>Marks the start of one node's backward function: what it rents from here on is its own.</summary>
    internal static void BeginNode() => t_current?._nodeBuffers.Clear();

    /// <summary>
    /// After one node's backward function: float32 copies it widened go back to their packed form, and the
    /// buffers it rented that none of <paramref name="gradInputs"/> reads (its scratch) go back to the free lists.
    /// </summary>
    internal static void EndNode(Tensor gradOutput, Tensor?[] gradInputs)
    {
        if (t_current is not { _inBackward: true } arena) return;
        arena.DropWidened(gradOutput, gradInputs);
        foreach (var buffer in arena._nodeBuffers)
        {
            bool read = false;
            foreach (var g in gradInputs) read |= g is not null && ReferenceEquals(g.SharedStorage.DataIfPresent, buffer);
            if (!read) ReturnEarly(buffer);
        }
        arena._nodeBuffers.Clear();
    }

    /// <summary>
    /// Gives a buffer rented during the current backward pass back to the free lists before the scope ends
    /// (the caller guarantees no tensor still reads it). Anything else is ignored.
    /// </summary>
    internal static void ReturnEarly(float[] buffer)
    {
        if (t_current is not { } arena || !arena._backwardBuffers.Remove(buffer)) return;
        if (arena.PoisonOnRelease) buffer.AsSpan().Fill(float.NaN);
        arena.Push(buffer);
        arena._returnedEarly.Add(buffer);
    }

    // Best fit: the smallest free buffer of a larger class, at most twice the size. Batches of varying shape ask for many size classes;
    // lending a larger buffer keeps what the arena holds near one step's peak instead of a buffer per class seen.
    private float[]? TakeLarger(int size)
    {
        Stack<float[]>? best = null;
        int bestSize = int.MaxValue;
        foreach (var (classSize, stack) in _free)
            if (classSize > size && classSize <= 2L * size && classSize < bestSize && stack.Count > 0)
                (best, bestSize) = (stack, classSize);
        return best?.Pop();
    }

    private float[] Grow(int size)
    {
        RetainedBytes += size * sizeof(float);
        return GC.AllocateUninitializedArray<float>(size);
    }

    private void ReleaseAll()
    {
        ReleasePacked();
        foreach (var buffer in _rented)
        {
            if (_returnedEarly.Contains(buffer)) continue;
            if (PoisonOnRelease) buffer.AsSpan().Fill(float.NaN);
            Push(buffer);
        }
        _rented.Clear();
        _returnedEarly.Clear();
        _backwardBuffers.Clear();
        _nodeBuffers.Clear();
        _inBackward = false;
        _active = false;
    }

    private void Push(float[] buffer)
    {
        InUse(-buffer.Length * (long)sizeof(float));
        if (!_free.TryGetValue(buffer.Length, out var stack)) _free[buffer.Length] = stack = new Stack<float[]>();
        stack.Push(buffer);
    }

    /// <summary>Rounds up to the next of 2ᵏ, 1.25·2ᵏ, 1.5·2ᵏ, 1.75·2ᵏ (at most 25 % unused).</summary>
    internal static int SizeClass(int length)
    {
        int high = 31 - int.LeadingZeroCount(length);      // 2^high ≤ length
        if (high < 3) return 8;
        int quarter = 1 << (high - 2);
        return (length + quarter - 1) / quarter * quarter;
    }
}
