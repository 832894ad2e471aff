using System.Diagnostics;
using System.Globalization;
using System.Numerics;

namespace Sharpformer.Distributed;

/// <summary>
/// How many kernel threads a process uses by default. Outside a launcher: every core it may run on. Under mpirun: the
/// cores the launcher bound it to, when it bound it to some of the machine's cores (<c>mpirun --map-by slot:PE=k</c>
/// gives each rank k); unbound, the machine's cores shared by the job's processes on it, so two ranks on a 16-core
/// machine take 8 threads each, not 16.
/// </summary>
public static class RankThreads
{
    private const string OnlineFile = "/sys/devices/system/cpu/online";

    /// <summary>The default number of kernel threads for this process.</summary>
    public static int Default => MpiWorld.LocalSize is int ranks
        ? For(Environment.ProcessorCount, BoundToSomeCores(), ranks)
        : Environment.ProcessorCount;

    /// <summary>
    /// The threads for a process that may use <paramref name="usableCores"/>, bound by its launcher or not, one of
    /// <paramref name="ranksOnMachine"/> processes of a job on its machine (null: not launched as one).
    /// </summary>
    internal static int For(int usableCores, bool bound, int? ranksOnMachine) =>
        ranksOnMachine is int ranks && !bound ? Math.Max(1, usableCores / ranks) : usableCores;

    /// <summary>The number of CPUs in a list such as <c>0-3,8-11</c> (the kernel's online file), or 0 if it is not one.</summary>
    internal static int CountCpus(string list)
    {
        int count = 0;
        foreach (string part in list.Trim().Split(','))
        {
            string[] ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return 0;
            int first = int.Parse(ends[0], CultureInfo.InvariantCulture), last = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (last < first) return 0;
            count += last - first + 1;
        }
        return count;
    }

    // Whether the launcher bound this process to some of the machine's cores: its affinity mask leaves online cores out.
    // The mask .NET reads holds 64 cores; on larger machines (or without the kernel's file) the process counts as unbound.
    private static bool BoundToSomeCores()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(OnlineFile)) return false;
        int online = CountCpus(File.ReadAllText(OnlineFile));
        if (online is 0 or > 64) return false;
        using var self = Process.GetCurrentProcess();
        return BitOperations.PopCount((ulong)(long)self.ProcessorAffinity) < online;
    }
}
