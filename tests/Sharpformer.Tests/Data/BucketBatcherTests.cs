using Sharpformer.Data;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Data;

/// <summary>Length-bucketed batching under a token budget: coverage, budget, padding, determinism and resume.</summary>
public sealed class BucketBatcherTests
{
    /// <summary>
    /// <paramref name="count"/> pairs whose source starts with a unique id (1000 + index), mostly short with a
    /// long tail: 85% have 2–8 source tokens, 15% have 40–80; targets are within ±3 of the source length.
    /// </summary>
    private static List<SequencePair> SkewedPairs(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var pairs = new List<SequencePair>(count);
        for (int i = 0; i < count; i++)
        {
            int length = rng.NextDouble() < 0.85 ? 2 + rng.NextInt(7) : 40 + rng.NextInt(41);
            int targetLength = Math.Max(1, length - 3 + rng.NextInt(7));
            int[] source = [1000 + i, .. Enumerable.Range(0, length - 1).Select(_ => SpecialTokens.Count + rng.NextInt(50))];
            int[] target = [.. Enumerable.Range(0, targetLength).Select(_ => SpecialTokens.Count + rng.NextInt(50))];
            pairs.Add(new SequencePair(source, target));
        }
        return pairs;
    }

    private static int Id(SequencePair pair) => pair.Source[0] - 1000;

    /// <summary>
    /// Batches drawn until the batcher has started epoch <paramref name="epochs"/>, grouped by the epoch each
    /// belongs to.
    /// </summary>
    private static List<List<Batch>> Epochs(BucketBatcher batcher, int epochs)
    {
        var result = new List<List<Batch>>();
        while (true)
        {
            var batch = batcher.Next();
            if (batcher.Epoch == epochs) return result;
            if (batcher.Epoch == result.Count) result.Add([]);
            result[batcher.Epoch].Add(batch);
        }
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(100)]
    [InlineData(1)]
    public void EveryPairAppearsExactlyOncePerEpoch(int poolSize)
    {
        var pairs = SkewedPairs(700, seed: 1);
        var batcher = new BucketBatcher(pairs, batchTokens: 300, seed: 7, poolSize);
        var epochs = Epochs(batcher, 3);
        Assert.Equal(3, epochs.Count);
        foreach (var epoch in epochs)
        {
            var seen = epoch.SelectMany(BatchRows.Pairs).ToList();
            Assert.Equal(Enumerable.Range(0, pairs.Count), seen.Select(Id).Order());
            Assert.All(seen, p =>
            {
                Assert.Equal(pairs[Id(p)].Source, p.Source);
                Assert.Equal(pairs[Id(p)].Target, p.Target);
            });
        }
        // The epochs are shuffled differently.
        Assert.NotEqual(epochs[0].SelectMany(BatchRows.Pairs).Select(Id), epochs[1].SelectMany(BatchRows.Pairs).Select(Id));
    }

    [Theory]
    [InlineData(300)]
    [InlineData(81)]
    [InlineData(40)]
    public void EveryBatchKeepsToTheTokenBudgetUnlessOneExampleExceedsIt(int budget)
    {
        var pairs = SkewedPairs(600, seed: 2);
        var batcher = new BucketBatcher(pairs, budget, seed: 3, poolSize: 256);
        int over = 0;
        foreach (var batch in Epochs(batcher, 2).SelectMany(e => e))
        {
            int width = Math.Max(batch.Source.Size(1), batch.TargetInput.Size(1));
            if (batch.Size == 1) over += width > budget ? 1 : 0;
            else Assert.True(batch.Size * width <= budget, $"{batch.Size} examples × {width} tokens > {budget}");
        }
        if (budget < 81) Assert.True(over > 0, "the longest examples should exceed a budget this small, alone in their batch");
    }

    [Fact]
    public void BatchesAreFilledUpToTheBudget()
    {
        // Bucketing must not buy low padding with tiny batches: on uniform lengths every batch but
        // the last of each pool is as full as the budget allows.
        var pairs = Enumerable.Range(0, 1000).Select(i => new SequencePair([1000 + i, 5, 6, 7, 8], [5, 6, 7, 8, 9])).ToList(); // cost 6
        var batcher = new BucketBatcher(pairs, batchTokens: 60, seed: 1, poolSize: 1000);
        var sizes = Epochs(batcher, 1)[0].Select(b => b.Size).ToList();
        Assert.Equal(100, sizes.Count);
        Assert.All(sizes, s => Assert.Equal(10, s));
        Assert.Equal(100, batcher.BatchesPerEpoch);
    }

    [Fact]
    public void BucketingPadsFarLessThanRandomBatchesOfTheSameSize()
    {
        var pairs = SkewedPairs(4000, seed: 4);
        var batcher = new BucketBatcher(pairs, batchTokens: 512, seed: 5);
        var bucketed = Epochs(batcher, 1)[0];

        // Random batching: the same pairs shuffled and cut into as many equal batches.
        int size = (int)Math.Ceiling(pairs.Count / (double)bucketed.Count);
        var order = Enumerable.Range(0, pairs.Count).ToArray();
        new Rng(6).Shuffle<int>(order);
        var random = order.Chunk(size).Select(chunk => Batch.FromPairs([.. chunk.Select(i => pairs[i])])).ToList();

        double Fraction(IEnumerable<Batch> batches)
        {
            var totals = batches.Select(BatchRows.Padding).ToList();
            return totals.Sum(t => t.Padding) / (double)totals.Sum(t => t.Positions);
        }
        double bucketedPadding = Fraction(bucketed), randomPadding = Fraction(random);
        Assert.True(randomPadding > 0.5, $"the skewed set should pad heavily when batched at random ({randomPadding:P1})");
        Assert.True(bucketedPadding < 0.15, $"bucketed padding {bucketedPadding:P1}");
        Assert.True(bucketedPadding < randomPadding / 4,
            $"bucketed padding {bucketedPadding:P1} is not far below random batching's {randomPadding:P1}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameBatchesAndAnotherSeedOthers()
    {
        var pairs = SkewedPairs(500, seed: 8);
        var a = new BucketBatcher(pairs, 256, seed: 11, poolSize: 128);
        var b = new BucketBatcher(pairs, 256, seed: 11, poolSize: 128);
        var c = new BucketBatcher(pairs, 256, seed: 12, poolSize: 128);
        int n = a.BatchesPerEpoch * 2 + 3;
        var fromA = Enumerable.Range(0, n).Select(_ => BatchRows.Fingerprint(a.Next())).ToList();
        var fromB = Enumerable.Range(0, n).Select(_ => BatchRows.Fingerprint(b.Next())).ToList();
        var fromC = Enumerable.Range(0, n).Select(_ => BatchRows.Fingerprint(c.Next())).ToList();
        Assert.Equal(fromA, fromB);
        Assert.NotEqual(fromA, fromC);
    }

    [Fact]
    public void ANewBatcherLoadingASavedStateContinuesWithIdenticalBatches()
    {
        var pairs = SkewedPairs(400, seed: 9);
        var original = new BucketBatcher(pairs, 200, seed: 21, poolSize: 64);
        int perEpoch = original.BatchesPerEpoch;
        Assert.True(perEpoch > 4);

        // Save points: inside epoch 0, exactly at its end (before epoch 1 begins), and in epoch 1.
        var savePoints = new[] { 3, perEpoch, perEpoch + 2 };
        var saved = new List<(string State, int Epoch, List<float[]> Following)>();
        for (int drawn = 0, next = 0; next < savePoints.Length; drawn++)
        {
            if (drawn == savePoints[next])
            {
                string state = original.SaveState();
                saved.Add((state, original.Epoch, []));
                next++;
            }
            var batch = BatchRows.Fingerprint(original.Next());
            foreach (var s in saved) s.Following.Add(batch);
        }
        for (int i = 0; i < 2 * perEpoch + 5; i++)
        {
            var batch = BatchRows.Fingerprint(original.Next());
            foreach (var s in saved) s.Following.Add(batch);
        }

        Assert.Equal("0,3", Position(saved[0].State));
        Assert.Equal($"0,{perEpoch}", Position(saved[1].State));
        Assert.Equal("1,2", Position(saved[2].State));
        foreach (var (state, epoch, following) in saved)
        {
            var resumed = new BucketBatcher(pairs, 200, seed: 21, poolSize: 64);
            resumed.LoadState(state);
            Assert.Equal(epoch, resumed.Epoch);
            Assert.Equal(state, resumed.SaveState());
            for (int i = 0; i < following.Count; i++)
                Assert.True(following[i].AsSpan().SequenceEqual(BatchRows.Fingerprint(resumed.Next())),
                    $"from state {state}: batch {i} differs");
            Assert.True(resumed.Epoch >= 2, "the resumed run crossed an epoch boundary");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("0,1,2")]
    [InlineData("a,b")]
    [InlineData("-1,0")]
    [InlineData("0,-1")]
    [InlineData(" 0,1")]
    [InlineData("0,1 ")]
    [InlineData("0.5,1")]
    [InlineData("0,100000")]
    [InlineData("99999999999,0")]
    public void BadStatesAreRejectedAndChangeNothing(string state)
    {
        var batcher = new BucketBatcher(SkewedPairs(100, seed: 10), 200, seed: 1);
        batcher.Next();
        batcher.Next();
        Assert.Throws<InvalidDataException>(() => batcher.LoadState(state));
        Assert.Equal("0,2", Position(batcher.SaveState()));
    }

    [Fact]
    public void AStateOfOtherBatchesIsRefusedByName()
    {
        var pairs = SkewedPairs(100, seed: 10);
        var original = new BucketBatcher(pairs, 200, seed: 1);
        original.Next();
        string state = original.SaveState();
        Assert.Equal("0,1;100 pairs, 200 tokens a batch, lengths " + state.Split(" lengths ")[1], state);
        new BucketBatcher(pairs, 200, seed: 1).LoadState("0,1");   // a state saved before the description: read as it is
        var wider = new BucketBatcher(pairs, 400, seed: 1);
        var message = Assert.Throws<ArgumentException>(() => wider.LoadState(state)).Message;
        Assert.Contains("were 100 pairs, 200 tokens a batch", message);
        Assert.Contains("would be 100 pairs, 400 tokens a batch", message);
        var cut = pairs.Select(p => p with { Source = p.Source[..Math.Min(p.Source.Length, 5)] }).ToList();
        Assert.Throws<ArgumentException>(() => new BucketBatcher(cut, 200, seed: 1).LoadState(state));   // other lengths
        Assert.Equal("0,0", Position(wider.SaveState()));
    }

    private static string Position(string state) => state.Split(';')[0];

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var pairs = SkewedPairs(10, seed: 1);
        Assert.Throws<ArgumentException>(() => new BucketBatcher([], 100, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BucketBatcher(pairs, 0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BucketBatcher(pairs, 100, seed: 1, poolSize: 0));
    }
}
