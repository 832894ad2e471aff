using System.Text.Json;
using Sharpformer.Distributed;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Distributed;

/// <summary>The MPI binding, through the real command run by the real mpirun.</summary>
public sealed class MpiWorldTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [MpiFact]
    public void EveryRankGetsTheSumOfAllRanksBuffers()
    {
        // Each of 3 ranks fills its buffer with rank + 1 and checks, element by element, that 1 + 2 + 3 came back;
        // sizes that are not a whole number of any chunk Open MPI splits messages into.
        var (code, stdout, stderr) = MpiRunner.Run(3, Timeout, "bench", "allreduce", "--mib", "1,3", "--rounds", "2", "--json");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        using var report = JsonDocument.Parse(stdout.Trim());   // rank 0 alone prints: one object
        var root = report.RootElement;
        Assert.Equal(3, root.GetProperty("ranks").GetInt32());
        Assert.StartsWith("Open MPI", root.GetProperty("library").GetString());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal([1, 3], cases.Select(c => c.GetProperty("mib").GetInt32()));
        Assert.All(cases, c => Assert.True(c.GetProperty("median_ms").GetDouble() > 0));
    }

    [Fact]
    public void AnotherMpisLauncherIsNamedAndRefusedRatherThanLeftToRunAloneInEachProcess()
    {
        string? Launcher(params (string Name, string Value)[] variables) =>
            MpiWorld.ForeignLauncherOf(name => variables.FirstOrDefault(v => v.Name == name).Value);
        Assert.Null(Launcher());
        Assert.Null(Launcher(("PMI_SIZE", "1")));                                             // one process: nothing to join
        Assert.Null(Launcher(("OMPI_COMM_WORLD_SIZE", "2"), ("PMIX_RANK", "0")));             // Open MPI's mpirun sets both
        Assert.Contains("MPICH", Launcher(("PMI_SIZE", "4"), ("PMI_RANK", "2")));
        Assert.Contains("PMIx", Launcher(("PMIX_RANK", "1")));
        Assert.Contains("srun", Launcher(("SLURM_STEP_NUM_TASKS", "2")));
        Assert.Contains("MVAPICH", Launcher(("MV2_COMM_WORLD_SIZE", "8")));

        // The real command, as MPICH's mpiexec would start one of its processes: refused in one line, nothing written.
        string output = Path.Combine(Path.GetTempPath(), $"sharpformer-foreign-{Guid.NewGuid():N}");
        var info = new System.Diagnostics.ProcessStartInfo("env")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["PMI_SIZE=2", "PMI_RANK=1", "dotnet", CliRunner.Dll, "train", "--task", "copy", "--out", output])
            info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var (code, _, stderr) = CliRunner.Complete(process, Timeout, ["train"]);
        Assert.Equal(1, code);
        Assert.Contains("started by a PMI launcher (MPICH's or Intel MPI's mpiexec), which Sharpformer cannot join", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void OutsideAnMpiJobTheBenchmarkSaysHowToStartOne()
    {
        Assert.False(MpiWorld.IsLaunched);
        var (code, _, stderr) = CliRunner.Run(Timeout, "bench", "allreduce");
        Assert.Equal(1, code);
        Assert.Equal("sharpformer: bench allreduce measures an MPI job: run it as mpirun -np 2 sharpformer bench allreduce",
            stderr.Trim());
    }
}
