using System.Diagnostics;
using System.Text;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Distributed;

/// <summary>Runs the real `sharpformer` command as an MPI job: <c>mpirun -np N dotnet Sharpformer.Cli.dll ...</c>.</summary>
internal static class MpiRunner
{
    /// <summary>The mpirun on PATH, or null.</summary>
    public static string? Mpirun { get; } = FindMpirun();

    /// <summary>Why the MPI tests cannot run here, or null when they can.</summary>
    public static string? MissingReason { get; } = Mpirun is null
        ? "mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; .ci/run does)"
        : !IsOpenMpi(Mpirun) ? $"{Mpirun} is not Open MPI's (Sharpformer binds Open MPI): install openmpi-bin and libopenmpi-dev"
        : null;

    /// <summary>Starts <paramref name="ranks"/> processes of the command, outputs redirected.</summary>
    public static Process Start(int ranks, params string[] args) => StartEach([.. Enumerable.Repeat(args, ranks)]);

    /// <summary>
    /// Starts one process per entry, each with its own arguments (mpirun's <c>-np 1 A : -np 1 B</c>), outputs redirected;
    /// <paramref name="mpirunOptions"/> go to mpirun itself (<c>--bind-to none</c>, say).
    /// </summary>
    public static Process StartEach(IReadOnlyList<string[]> argumentsByRank, string? dll = null,
                                    IReadOnlyList<string>? mpirunOptions = null)
    {
        var info = new ProcessStartInfo(Mpirun ?? throw new InvalidOperationException(MissingReason))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        // Open MPI refuses to run as root unless told twice; CI containers run as root. --oversubscribe lets a test
        // start more ranks than the machine has cores.
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        info.ArgumentList.Add("--oversubscribe");
        foreach (string option in mpirunOptions ?? []) info.ArgumentList.Add(option);
        for (int rank = 0; rank < argumentsByRank.Count; rank++)
        {
            if (rank > 0) info.ArgumentList.Add(":");
            foreach (var a in (string[])["-np", "1", "dotnet", dll ?? CliRunner.Dll, .. argumentsByRank[rank]]) info.ArgumentList.Add(a);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start mpirun");
    }

    /// <summary>Runs the job to completion (killed after <paramref name="timeout"/>): its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(int ranks, TimeSpan timeout, params string[] args) =>
        RunDll(CliRunner.Dll, ranks, timeout, args);

    /// <summary>As <see cref="Run"/>, for another program than the CLI (an example).</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunDll(string dll, int ranks, TimeSpan timeout, params string[] args)
    {
        using var process = StartEach([.. Enumerable.Repeat(args, ranks)], dll);
        process.StandardInput.Close();
        return CliRunner.Complete(process, timeout, args);
    }

    private static bool IsOpenMpi(string mpirun)
    {
        try
        {
            var info = new ProcessStartInfo(mpirun, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            return process.WaitForExit(30_000) && text.Contains("Open MPI", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string? FindMpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists);
}

/// <summary>A fact that needs <c>mpirun</c>: skipped, with the reason shown, where Open MPI is not installed.</summary>
internal sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRunner.MissingReason is { } reason) Skip = reason;
    }
}
