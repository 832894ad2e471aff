namespace Sharpformer.Kernels;

/// <summary>
/// A small fork-join pool of dedicated threads for kernels: no allocation per call, the calling thread takes
/// part, and work items are handed out dynamically. A call made while the pool is busy (nested or from
/// another thread) simply runs serially on its caller.
/// </summary>
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
            for (int w = 0; w < helpers; w++)
                s_wake[w].Release();
            Drain();
            s_done.Wait();
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
        int i;
        while ((i = Interlocked.Increment(ref s_next) - 1) < s_count)
        {
            try
            {
                s_body(i, s_state);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
        }
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
