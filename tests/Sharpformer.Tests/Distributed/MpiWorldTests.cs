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
    public void OutsideAnMpiJobTheBenchmarkSaysHowToStartOne()
    {
        Assert.False(MpiWorld.IsLaunched);
        var (code, _, stderr) = CliRunner.Run(Timeout, "bench", "allreduce");
        Assert.Equal(1, code);
        Assert.Equal("sharpformer: bench allreduce measures an MPI job: run it as mpirun -np 2 sharpformer bench allreduce",
            stderr.Trim());
    }
}
