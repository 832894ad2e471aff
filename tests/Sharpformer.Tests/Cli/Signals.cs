using System.Runtime.InteropServices;

namespace Sharpformer.Tests.Cli;

/// <summary>The POSIX signals a test sends a child process.</summary>
public enum Signal
{
    /// <summary>SIGINT, as Ctrl-C sends.</summary>
    Interrupt = 2,

    /// <summary>SIGTERM, as `kill` and `docker stop` send.</summary>
    Terminate = 15,
}

/// <summary>Sends a signal with libc's kill(2), with no `kill` process in between, so that two go microseconds apart.</summary>
internal static partial class Signals
{
    public static void Send(int processId, Signal signal)
    {
        if (Kill(processId, (int)signal) != 0)
            throw new InvalidOperationException($"kill({processId}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
