using System.Diagnostics;
using Sharpformer.Kernels;

namespace Sharpformer.Autograd;

/// <summary>
/// Time spent per op name, forward and backward, while <see cref="Enabled"/> is set. Forward time is the
/// time since the previous recorded op (or <see cref="Mark"/>), so untracked glue is charged to the next op;
/// backward time is each node's own backward. Each op's time is also split by what the kernel threads did: time with
/// one thread working (outside parallel regions) and thread time spent waiting inside them. For
/// `sharpformer bench train --profile`.
/// </summary>
public static class OpProfiler
{
    private static readonly Dictionary<string, Entry> s_entries = [];
    private static Stamp s_last;

    /// <summary>Whether ops are timed (off by default; costs a timestamp per op and two per parallel work item when on).</summary>
    public static bool Enabled
    {
        get => WorkerPool.Timing;
        set => WorkerPool.Timing = value;
    }

    /// <summary>One op's totals.</summary>
    public sealed record Entry(string Name)
    {
        /// <summary>Forward calls.</summary>
        public int Calls { get; internal set; }
        /// <summary>Forward seconds.</summary>
        public double ForwardSeconds { get; internal set; }
        /// <summary>Backward seconds.</summary>
        public double BackwardSeconds { get; internal set; }
        /// <summary>Seconds, forward and backward, outside parallel regions: one thread works while the others idle.</summary>
        public double SerialSeconds { get; internal set; }
        /// <summary>Thread seconds, forward and backward, inside parallel regions with no work: waking, or waiting at the join.</summary>
        public double WaitSeconds { get; internal set; }
    }

    /// <summary>A moment on the profiler's clocks, from <see cref="Now"/>.</summary>
    public readonly struct Stamp
    {
        internal readonly long Ticks;
        internal readonly PoolClock Pool;

        internal Stamp(long ticks, PoolClock pool)
        {
            Ticks = ticks;
            Pool = pool;
        }
    }

    /// <summary>Totals by op name so far.</summary>
    public static IReadOnlyCollection<Entry> Entries => s_entries.Values;

    /// <summary>Clears the totals.</summary>
    public static void Reset()
    {
        s_entries.Clear();
        Mark();
    }

    /// <summary>The clocks now, to pass to <see cref="Add"/>.</summary>
    public static Stamp Now() => new(Stopwatch.GetTimestamp(), WorkerPool.Clock);

    /// <summary>Starts the forward clock (call before a forward pass).</summary>
    public static void Mark() => s_last = Now();

    internal static void Forward(string name)
    {
        var now = Now();
        var e = EntryOf(name);
        e.Calls++;
        e.ForwardSeconds += Charge(e, s_last, now);
        s_last = now;
    }

    internal static void Backward(string name, Stamp start)
    {
        var e = EntryOf(name);
        e.BackwardSeconds += Charge(e, start, Now());
    }

    /// <summary>Adds the time since <paramref name="start"/> to a named phase that is not an op (e.g. "optimizer").</summary>
    public static void Add(string name, Stamp start)
    {
        var e = EntryOf(name);
        e.ForwardSeconds += Charge(e, start, Now());
    }

    // Splits the interval's threads' time into e's serial and waiting shares; returns the interval in seconds.
    private static double Charge(Entry e, Stamp from, Stamp to)
    {
        double frequency = Stopwatch.Frequency;
        var pool = to.Pool - from.Pool;
        long wall = to.Ticks - from.Ticks;
        e.SerialSeconds += Math.Max(0, wall - pool.RegionTicks) / frequency;
        e.WaitSeconds += pool.WaitTicks / frequency;
        return wall / frequency;
    }

    private static Entry EntryOf(string name)
    {
        if (!s_entries.TryGetValue(name, out var e)) s_entries[name] = e = new Entry(name);
        return e;
    }
}
