namespace Sharpformer.Kernels;

/// <summary>The library-wide thread setting used by every multithreaded kernel.</summary>
public static class Parallelism
{
    private static int? _threads;

    /// <summary>
    /// Number of threads kernels may use. Must be at least 1. Unless set, every core; in a rank of an MPI job (once the
    /// job is initialized) the rank's share of its machine's cores, so that the ranks do not oversubscribe them.
    /// </summary>
    public static int Threads
    {
        get => _threads ?? Environment.ProcessorCount;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1.");
    }

    /// <summary>Whether <see cref="Threads"/> was set (rather than left at its default).</summary>
    internal static bool IsSet => _threads is not null;
}
