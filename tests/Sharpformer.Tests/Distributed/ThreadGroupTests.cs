using Sharpformer.Distributed;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Distributed;

/// <summary>Ranks as threads of one process: the collective calls, and an error on one rank.</summary>
public sealed class ThreadGroupTests
{
    [Fact]
    public void EveryRankGetsTheSameSumOfAllRanksValues()
    {
        var sums = ThreadGroup.Run(3, world =>
        {
            var rng = new Rng((ulong)world.Rank + 1);
            var values = Enumerable.Range(0, 1000).Select(_ => (float)rng.NextGaussian()).ToArray();
            var mine = (float[])values.Clone();
            world.AllReduceSum(values);
            return (Mine: mine, Sum: values);
        });
        for (int i = 0; i < 1000; i++)
        {
            float expected = sums[0].Mine[i] + sums[1].Mine[i] + sums[2].Mine[i];   // rank order
            Assert.All(sums, s => Assert.Equal(expected, s.Sum[i]));             // the same bits on every rank
        }
    }

    [Fact]
    public void BroadcastCopiesTheRootsValuesAndBarrierWaitsForAll()
    {
        int arrived = 0;
        var received = ThreadGroup.Run(4, world =>
        {
            Interlocked.Increment(ref arrived);
            world.Barrier();
            int seen = Volatile.Read(ref arrived);
            ulong[] values = [(ulong)world.Rank * 10, (ulong)world.Rank * 10 + 1];
            world.Broadcast<ulong>(values, root: 2);
            return (Seen: seen, Values: values);
        });
        Assert.All(received, r => Assert.Equal(4, r.Seen));
        Assert.All(received, r => Assert.Equal([20UL, 21UL], r.Values));
    }

    [Fact]
    public void SplitMakesGroupsByColourRankedByKey()
    {
        // 6 ranks: colour = rank % 2, key = −rank, so each group ranks its members in reverse.
        var seen = ThreadGroup.Run(6, world =>
        {
            var part = world.Split(color: world.Rank % 2, key: -world.Rank);
            float[] sum = [world.Rank];
            part.AllReduceSum(sum);
            return (part.Rank, part.Size, Sum: sum[0]);
        });
        Assert.Equal([(2, 3, 6f), (2, 3, 9f), (1, 3, 6f), (1, 3, 9f), (0, 3, 6f), (0, 3, 9f)], seen);
    }

    [Fact]
    public void AnErrorOnOneRankEndsTheOthersWaitingAndIsRethrown()
    {
        var error = Assert.Throws<InvalidDataException>(() => ThreadGroup.Run(3, world =>
        {
            if (world.Rank == 1) throw new InvalidDataException("rank 1 cannot go on");
            world.AllReduceSum(new float[10]);   // ranks 0 and 2 would wait here forever
        }));
        Assert.Equal("rank 1 cannot go on", error.Message);
        var inPart = Assert.Throws<InvalidDataException>(() => ThreadGroup.Run(4, world =>
        {
            var part = world.Split(world.Rank / 2, world.Rank);
            if (world.Rank == 3) throw new InvalidDataException("rank 3 cannot go on");
            part.Barrier();   // rank 2 would wait here for rank 3 forever
        }));
        Assert.Equal("rank 3 cannot go on", inPart.Message);
    }
}
