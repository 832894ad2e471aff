namespace Sharpformer.Kernels;

/// <summary>The library-wide thread setting used by every multithreaded kernel.</summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Number of threads kernels may use (default: all cores). Must be at least 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1.");
    }
}
