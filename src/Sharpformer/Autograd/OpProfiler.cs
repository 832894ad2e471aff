using System.Diagnostics;

namespace Sharpformer.Autograd;

/// <summary>
/// Time spent per op name, forward and backward, while <see cref="Enabled"/> is set. Forward time is the
/// time since the previous recorded op (or <see cref="Mark"/>), so untracked glue is charged to the next op;
/// backward time is each node's own backward. For `sharpformer bench train --profile`.
/// </summary>
public static class OpProfiler
{
    private static readonly Dictionary<string, Entry> s_entries = [];
    private static long s_last;

    /// <summary>Whether ops are timed (off by default; costs a timestamp per op when on).</summary>
    public static bool Enabled { get; set; }

    /// <summary>One op's totals.</summary>
    public sealed record Entry(string Name)
    {
        /// <summary>Forward calls.</summary>
        public int Calls { get; internal set; }
        /// <summary>Forward seconds.</summary>
        public double ForwardSeconds { get; internal set; }
        /// <summary>Backward seconds.</summary>
        public double BackwardSeconds { get; internal set; }
    }

    /// <summary>Totals by op name so far.</summary>
    public static IReadOnlyCollection<Entry> Entries => s_entries.Values;

    /// <summary>Clears the totals.</summary>
    public static void Reset()
    {
        s_entries.Clear();
        Mark();
    }

    /// <summary>Starts the forward clock (call before a forward pass).</summary>
    public static void Mark() => s_last = Stopwatch.GetTimestamp();

    internal static void Forward(string name)
    {
        long now = Stopwatch.GetTimestamp();
        var e = EntryOf(name);
        e.Calls++;
        e.ForwardSeconds += (now - s_last) / (double)Stopwatch.Frequency;
        s_last = now;
    }

    internal static void Backward(string name, long start) =>
        EntryOf(name).BackwardSeconds += (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;

    /// <summary>Adds time to a named phase that is not an op (e.g. "optimizer").</summary>
    public static void Add(string name, long start) =>
        EntryOf(name).ForwardSeconds += (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;

    private static Entry EntryOf(string name)
    {
        if (!s_entries.TryGetValue(name, out var e)) s_entries[name] = e = new Entry(name);
        return e;
    }
}
