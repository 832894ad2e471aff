using System.Diagnostics;
using System.Text;

namespace Sharpformer.Tests.Cli;

/// <summary>Runs the real `sharpformer` command (the CLI project's build output) as a child process.</summary>
internal static class CliRunner
{
    private static readonly Lazy<string> CliDll = new(FindCli);

    /// <summary>Starts the command with <paramref name="args"/>, output redirected.</summary>
    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(CliDll.Value);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Runs the command to completion (killed after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args) => RunWithInput(timeout, "", args);

    /// <summary>As <see cref="Run"/>, with <paramref name="input"/> (UTF-8) on standard input.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWithInput(TimeSpan timeout, string input, params string[] args)
    {
        using var process = Start(args);
        process.StandardInput.BaseStream.Write(new UTF8Encoding(false).GetBytes(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sharpformer {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    // The test assembly lives in tests/Sharpformer.Tests/bin/<Configuration>/net10.0/; the CLI in src/Sharpformer.Cli/bin/<Configuration>/net10.0/.
    private static string FindCli()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testDirectory.Name, configuration = testDirectory.Parent!.Name;
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Sharpformer.slnx"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("repository root (Sharpformer.slnx) not found above " + AppContext.BaseDirectory);
        string dll = Path.Combine(root.FullName, "src", "Sharpformer.Cli", "bin", configuration, framework, "Sharpformer.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("the CLI is not built", dll);
    }
}
