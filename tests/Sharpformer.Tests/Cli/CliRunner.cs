using System.Diagnostics;
using System.Text;

namespace Sharpformer.Tests.Cli;

/// <summary>Runs the real `sharpformer` command (the CLI project's build output) as a child process.</summary>
internal static class CliRunner
{
    private static readonly Lazy<string> CliDll = new(FindCli);

    /// <summary>The CLI's built assembly (run with <c>dotnet</c>).</summary>
    public static string Dll => CliDll.Value;

    /// <summary>Starts the command with <paramref name="args"/>, output redirected.</summary>
    public static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with <paramref name="environment"/> added to this process's variables.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(CliDll.Value);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Runs the command to completion (killed after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args) =>
        RunWithInput(timeout, "", args);

    /// <summary>As <see cref="Run"/>, with <paramref name="input"/> (UTF-8) on standard input.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWithInput(TimeSpan timeout, string input, params string[] args)
    {
        using var process = Start(args);
        process.StandardInput.BaseStream.Write(new UTF8Encoding(false).GetBytes(input));
        process.StandardInput.Close();
        return Complete(process, timeout, args);
    }

    /// <summary>Reads both outputs to the end and waits for the exit; a process past its time is killed.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Complete(Process process, TimeSpan timeout, string[] args)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sharpformer {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// As <see cref="Run"/>, under a real limit on the size of any file the command writes (bash's
    /// <c>ulimit -f</c>, in KiB, with SIGXFSZ ignored so a write past it fails instead of killing the
    /// process): how a full disk looks to the program, a write that fails halfway.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWithFileSizeLimit(TimeSpan timeout, int kilobytes, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        string[] command = ["-c", $"trap '' XFSZ; ulimit -f {kilobytes}; exec dotnet \"$@\"", "bash", CliDll.Value, .. args];
        foreach (var a in command) info.ArgumentList.Add(a);
        // The runtime's W^X double mapping creates a file-backed mapping that the size limit would refuse.
        info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        return Complete(process, timeout, args);
    }

    private static readonly DirectoryInfo TestDirectory = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>
    /// The build configuration the tests run in (the test assembly lives in
    /// tests/Sharpformer.Tests/bin/&lt;Configuration&gt;/&lt;Framework&gt;/).
    /// </summary>
    public static string Configuration => TestDirectory.Parent!.Name;

    /// <summary>The target framework folder name, e.g. net10.0.</summary>
    public static string Framework => TestDirectory.Name;

    /// <summary>The repository root: the first folder above the tests holding Sharpformer.slnx.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var root = TestDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Sharpformer.slnx"))) root = root.Parent;
        return root?.FullName ?? throw new InvalidOperationException(
            "repository root (Sharpformer.slnx) not found above " + AppContext.BaseDirectory);
    }

    private static string FindCli()
    {
        string dll = Path.Combine(RepositoryRoot, "src", "Sharpformer.Cli", "bin", Configuration, Framework, "Sharpformer.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("the CLI is not built", dll);
    }
}
