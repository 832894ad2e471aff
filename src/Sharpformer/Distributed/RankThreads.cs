using System.Globalization;

namespace Sharpformer.Distributed;

/// <summary>
/// How many kernel threads a process uses by default. Outside a launcher: every core it may run on. Under mpirun: its
/// share of the cores the launcher may use, divided among the job's processes on the machine, and never more than the
/// cores the process itself is bound to — so two unbound ranks on 16 cores take 8 threads each, two ranks given 8 cores
/// each (<c>mpirun --map-by slot:PE=8</c>) take 8, and four ranks bound two to a socket of 8 take 4.
/// </summary>
public static class RankThreads
{
    /// <summary>The default number of kernel threads for this process.</summary>
    public static int Default => MpiWorld.LocalSize is int ranks
        ? For(Environment.ProcessorCount, LauncherCpus() ?? Environment.ProcessorCount, ranks)
        : Environment.ProcessorCount;

    /// <summary>
    /// The threads for a process that may run on <paramref name="ownCores"/>, one of <paramref name="ranksOnMachine"/>
    /// processes that a launcher allowed <paramref name="launcherCores"/> started on its machine.
    /// </summary>
    internal static int For(int ownCores, int launcherCores, int ranksOnMachine) =>
        Math.Max(1, Math.Min(ownCores, launcherCores / Math.Max(1, ranksOnMachine)));

    /// <summary>The number of CPUs in a list such as <c>0-3,8-11</c> (the kernel's format), or 0 if it is not one.</summary>
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

    // The CPUs the launcher (this process's parent: mpirun, or Open MPI's daemon on another machine) may run on, from the
    // kernel's Cpus_allowed_list (cpusets and containers included); null where it cannot be read.
    private static int? LauncherCpus()
    {
        try
        {
            string? parent = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            if (parent is null) return null;
            string? allowed = File.ReadAllLines($"/proc/{parent["PPid:".Length..].Trim()}/status")
                .FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            int count = allowed is null ? 0 : CountCpus(allowed["Cpus_allowed_list:".Length..]);
            return count > 0 ? count : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
