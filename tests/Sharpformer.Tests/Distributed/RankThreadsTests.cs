using Sharpformer.Distributed;

namespace Sharpformer.Tests.Distributed;

/// <summary>The default threads of a rank: its share of the launcher's cores, at most the cores it is bound to.</summary>
public sealed class RankThreadsTests
{
    [Theory]
    [InlineData(16, 16, 2, 8)]   // two unbound ranks share the machine
    [InlineData(16, 16, 3, 5)]
    [InlineData(2, 2, 4, 1)]     // more ranks than cores: one thread each, never none
    [InlineData(8, 16, 2, 8)]    // mpirun --map-by slot:PE=8: the rank's own 8 cores
    [InlineData(1, 2, 2, 1)]     // Open MPI's default for two ranks: one core each
    [InlineData(8, 16, 4, 4)]    // four ranks bound to sockets of 8, two to a socket: half a socket each
    [InlineData(4, 4, 2, 2)]     // a job confined to 4 CPUs (a cpuset, a container), its ranks unbound
    public void ARankTakesItsShareOfTheLaunchersCoresAtMostItsOwn(int own, int launcher, int ranks, int expected) =>
        Assert.Equal(expected, RankThreads.For(own, launcher, ranks));

    [Theory]
    [InlineData("0-15\n", 16)]
    [InlineData("0-3,8-11", 8)]
    [InlineData("0", 1)]
    [InlineData("0,2,4-5", 4)]
    [InlineData("0-31,96-127", 64)]
    [InlineData("", 0)]
    [InlineData("3-1", 0)]
    [InlineData("0-x", 0)]
    [InlineData("0-1-2", 0)]
    public void TheKernelsListOfCpusIsCounted(string list, int expected) =>
        Assert.Equal(expected, RankThreads.CountCpus(list));

    [Fact]
    public void OutsideALauncherEveryUsableCoreIsUsed()
    {
        Assert.Null(MpiWorld.LocalSize);
        Assert.Equal(Environment.ProcessorCount, RankThreads.Default);
    }
}
