using System.Diagnostics;

namespace Sharpformer.Kernels;

/// <summary>
/// A small fork-join pool of dedicated threads for kernels: no allocation per call, the calling thread takes
/// part, and work items are handed out dynamically. A call made while the pool is busy (nested or from
/// another thread) simply runs serially on its caller.
/// </summary>
/// <remarks>
/// With <see cref="Timing"/> on, the pool keeps a <see cref="PoolClock"/>: how long parallel regions lasted and how much
/// of their threads' time went into work, so a profile can tell work from waiting at the join.
/// </remarks>
internal static unsafe class WorkerPool
{
    private static readonly object s_growLock = new();
    private static SemaphoreSlim[] s_wake = [];
    private static readonly ManualResetEventSlim s_done = new(false);
    private static int s_busy;

    // The job in flight (valid while s_busy == 1).
    private static delegate*<int, void*, void> s_body;
    private static void* s_state;
    private static int s_count;
    private static int s_next;
    private static int s_pending;
    private static Exception? s_error;

    // The clock (while Timing is on): ticks of parallel regions, of their threads (region × participants), of work in them.
    private static long s_regionTicks, s_capacityTicks, s_busyTicks;

    /// <summary>Whether parallel regions are timed (off by default: two timestamps per work item when on).</summary>
    public static bool Timing { get; set; }

    /// <summary>The totals so far (Stopwatch ticks); differences between two readings time what ran between them.</summary>
    public static PoolClock Clock => new(Volatile.Read(ref s_regionTicks), Volatile.Read(ref s_capacityTicks),
        Volatile.Read(ref s_busyTicks));

    /// <summary>Runs body(i, state) for every i in [0, count) on up to <paramref name="threads"/> threads.</summary>
    public static void For(int count, int threads, delegate*<int, void*, void> body, void* state)
    {
        int helpers = Math.Min(threads, count) - 1;
        if (helpers <= 0 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++)
                body(i, state);
            return;
        }

        try
        {
            EnsureWorkers(helpers);
            s_body = body;
            s_state = state;
            s_count = count;
            s_next = 0;
            s_error = null;
            s_pending = helpers;
            s_done.Reset();
            long start = Timing ? Stopwatch.GetTimestamp() : 0;
            for (int w = 0; w < helpers; w++)
                s_wake[w].Release();
            Drain();
            s_done.Wait();
            if (start != 0)
            {
                long wall = Stopwatch.GetTimestamp() - start;
                s_regionTicks += wall;
                s_capacityTicks += wall * (helpers + 1);
            }
            if (s_error is { } error)
                throw new AggregateException(error);
        }
        finally
        {
            s_body = null;
            s_state = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void Drain()
    {
        bool timing = Timing;
        long busy = 0;
        int i;
        while ((i = Interlocked.Increment(ref s_next) - 1) < s_count)
        {
            long start = timing ? Stopwatch.GetTimestamp() : 0;
            try
            {
                s_body(i, s_state);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
            if (timing) busy += Stopwatch.GetTimestamp() - start;
        }
        if (timing) Interlocked.Add(ref s_busyTicks, busy);
    }

    private static void EnsureWorkers(int helpers)
    {
        if (s_wake.Length >= helpers)
            return;
        lock (s_growLock)
        {
            var wake = s_wake;
            if (wake.Length >= helpers)
                return;
            var grown = new SemaphoreSlim[helpers];
            wake.CopyTo(grown, 0);
            for (int w = wake.Length; w < helpers; w++)
            {
                var signal = new SemaphoreSlim(0);
                grown[w] = signal;
                new Thread(() => WorkerLoop(signal)) { IsBackground = true, Name = $"Sharpformer worker {w + 1}" }.Start();
            }
            s_wake = grown;
        }
    }

    private static void WorkerLoop(SemaphoreSlim signal)
    {
        while (true)
        {
            signal.Wait();
            Drain();
            if (Interlocked.Decrement(ref s_pending) == 0)
                s_done.Set();
        }
    }
}

/// <summary>
/// A reading of <see cref="WorkerPool.Clock"/> in Stopwatch ticks: the wall time of parallel regions, their threads' time
/// (wall × threads taking part) and the part of it spent working; the rest is threads waiting to start or at the join.
/// </summary>
internal readonly record struct PoolClock(long RegionTicks, long CapacityTicks, long BusyTicks)
{
    /// <summary>Thread time inside parallel regions that did no work (waking up, or done and waiting for the others).</summary>
    public long WaitTicks => CapacityTicks - BusyTicks;

    public static PoolClock operator -(PoolClock a, PoolClock b) =>
        new(a.RegionTicks - b.RegionTicks, a.CapacityTicks - b.CapacityTicks, a.BusyTicks - b.BusyTicks);
}
