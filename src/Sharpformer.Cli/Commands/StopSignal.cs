using System.Runtime.InteropServices;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM during training: the first asks the run to stop after the current update and checkpoint it
/// (<see cref="Token"/>); a second ends the process at once, as without this handler.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly bool _report;

    /// <summary>Listens for the signals until disposed; <paramref name="report"/>: say so on standard error when one arrives.</summary>
    public StopSignal(bool report)
    {
        _report = report;
        _registrations =
            [PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>
    /// The shell's code for a process ended by the signal: 128 + its number (130 for SIGINT, 143 for SIGTERM); 130 on a
    /// rank of a job that stopped because rank 0 was signalled.
    /// </summary>
    public int ExitCode { get; private set; } = 130;

    private void Stop(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return;   // the second: the default action ends the process
        context.Cancel = true;
        ExitCode = 128 + (context.Signal == PosixSignal.SIGINT ? 2 : 15);
        if (_report) Console.Error.WriteLine("\nsharpformer: stopping after this update to checkpoint it (signal again to stop at once)");
        _stop.Cancel();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
