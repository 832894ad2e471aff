using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

/// <summary>Runs a kernel test's body with <see cref="Parallelism.Threads"/> set, restoring it afterwards.</summary>
internal static class KernelThreads
{
    public static void With(int threads, Action body)
    {
        int saved = Parallelism.Threads;
        try
        {
            Parallelism.Threads = threads;
            body();
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
