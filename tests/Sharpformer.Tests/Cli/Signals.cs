using System.Globalization;
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
    private static readonly TimeSpan HandlerWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sends <paramref name="signal"/> once the process has a handler for it (.NET installs its handlers during start-up),
    /// so that it is never delivered before the program can see it.
    /// </summary>
    public static void Send(int processId, Signal signal)
    {
        WaitForHandler(processId, signal);
        if (Kill(processId, (int)signal) != 0)
            throw new InvalidOperationException($"kill({processId}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    // /proc/PID/status lists the signals a process ignores (SigIgn) and catches (SigCgt) as hexadecimal masks. A signal
    // ignored when the process started stays ignored: .NET then installs no handler, so the test could never pass.
    private static void WaitForHandler(int processId, Signal signal)
    {
        ulong bit = 1UL << ((int)signal - 1);
        var deadline = DateTime.UtcNow + HandlerWait;
        while (true)
        {
            var masks = File.ReadAllLines($"/proc/{processId}/status").Select(line => line.Split(':', 2))
                .Where(parts => parts[0] is "SigIgn" or "SigCgt")
                .ToDictionary(parts => parts[0], parts => Hex(parts[1].Trim()));
            if ((masks["SigIgn"] & bit) != 0)
                throw new InvalidOperationException($"process {processId} ignores {signal}, inherited from the test run (a job " +
                    "started in the background by a shell without job control ignores SIGINT): run the tests in the foreground");
            if ((masks["SigCgt"] & bit) != 0) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"process {processId} installed no {signal} handler in {HandlerWait}");
            Thread.Sleep(10);
        }
    }

    private static ulong Hex(string digits) => ulong.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
