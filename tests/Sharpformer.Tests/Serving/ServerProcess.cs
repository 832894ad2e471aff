using System.Diagnostics;
using System.Text;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Serving;

/// <summary>
/// A real `sharpformer serve` child process on a free loopback port (--port 0; the address is read from its
/// "listening on" line), with an HTTP client for it. Disposing kills it if it is still running.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;

    private ServerProcess(Process process)
    {
        Process = process;
        _stderrPump = Task.Run(async () =>
        {
            for (string? line; (line = await process.StandardError.ReadLineAsync()) is not null;)
                lock (_stderr) _stderr.AppendLine(line);
        });
    }

    public Process Process { get; }

    /// <summary>A client for the server's address.</summary>
    public HttpClient Client { get; private set; } = new();

    /// <summary>What the server wrote to standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Starts the server with <paramref name="args"/> after "serve --port 0" and waits until it listens.</summary>
    public static Task<ServerProcess> StartAsync(params string[] args) => StartAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="StartAsync(string[])"/>, with <paramref name="environment"/> added to the server's variables.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var server = new ServerProcess(CliRunner.Start(environment, ["serve", "--port", "0", .. args]));
        server.Process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (await server.Process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (!line.StartsWith("listening on ", StringComparison.Ordinal)) continue;
            var url = new Uri(line["listening on ".Length..].Split(' ')[0]);
            server.Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
            _ = server.Process.StandardOutput.ReadToEndAsync();
            return server;
        }
        await server.Process.WaitForExitAsync(timeout.Token);
        await server._stderrPump;
        throw new InvalidOperationException($"serve exited with {server.Process.ExitCode} before listening: {server.Stderr}");
    }

    /// <summary>Sends SIGINT, as Ctrl-C does.</summary>
    public void Interrupt() => Signals.Send(Process.Id, Signal.Interrupt);

    /// <summary>Waits for the process to end and for its standard error to be read.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cancel.Token);
        await _stderrPump;
        return Process.ExitCode;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
