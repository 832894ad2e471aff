using Sharpformer.Distributed;

namespace Sharpformer.Tests.Distributed;

/// <summary>The default threads of a rank: its bound cores when the launcher bound it, else its share of the machine.</summary>
public sealed class RankThreadsTests
{
    [Theory]
    [InlineData(16, false, null, 16)]   // not launched by mpirun: every core
    [InlineData(16, false, 2, 8)]       // two unbound ranks share the machine
    [InlineData(16, false, 3, 5)]
    [InlineData(2, false, 4, 1)]        // more ranks than cores: one thread each, never none
    [InlineData(8, true, 2, 8)]         // mpirun --map-by slot:PE=8: the rank's own 8 cores
    [InlineData(1, true, 2, 1)]         // Open MPI's default for two ranks: one core each
    public void ARankUsesItsBoundCoresOrItsShareOfTheMachine(int usable, bool bound, int? ranks, int expected) =>
        Assert.Equal(expected, RankThreads.For(usable, bound, ranks));

    [Theory]
    [InlineData("0-15\n", 16)]
    [InlineData("0-3,8-11", 8)]
    [InlineData("0", 1)]
    [InlineData("0,2,4-5", 4)]
    [InlineData("", 0)]
    [InlineData("3-1", 0)]
    [InlineData("0-x", 0)]
    [InlineData("0-1-2", 0)]
    public void TheKernelsListOfOnlineCpusIsCounted(string list, int expected) =>
        Assert.Equal(expected, RankThreads.CountCpus(list));

    [Fact]
    public void OutsideALauncherEveryUsableCoreIsUsed()
    {
        Assert.Null(MpiWorld.LocalSize);
        Assert.Equal(Environment.ProcessorCount, RankThreads.Default);
    }
}
