using Sharpformer.Data;

namespace Sharpformer.Tests.Data;

/// <summary>Language-model windows over one token stream: consecutive text, shifted targets, coverage and resume.</summary>
public sealed class TextWindowsTests
{
    // Token i of the stream is 100 + i, so a window's contents say where it came from.
    private static int[] Stream(int length) => [.. Enumerable.Range(100, length)];

    private static List<int[]> Inputs(Batch batch) => [.. BatchRows.Rows(batch.TargetInput)];

    [Fact]
    public void ADataParallelShareOfWindowsKeepsEveryTokenEvenId0()
    {
        // Id 0 is text to a tokenizer whose padding comes after its own ids (GPT-2's "!"): a share of the batch neither
        // counts it as padding nor trims a window that ends with it.
        int[][] windows = [[5, 0, 7, 0, 0], [3, 4, 0, 0, 0], [9, 9, 9, 9, 9]];
        var batch = Batch.ForLanguageModel(windows);
        var share = batch.Rows(0, 2);
        Assert.Equal(8, share.TargetTokens);
        Assert.Equal([[0, 7, 0, 0], [4, 0, 0, 0]], BatchRows.Rows(share.TargetOutput));
        Assert.Equal([[5, 0, 7, 0], [3, 4, 0, 0]], BatchRows.Rows(share.TargetInput));
        Assert.Equal(batch.TargetTokens, share.TargetTokens + batch.Rows(2, 3).TargetTokens);
    }

    [Fact]
    public void WindowsAreConsecutiveTextWithTargetsShiftedByOne()
    {
        var windows = new TextWindows(Stream(1000), context: 16, batchSize: 5, seed: 3);
        Assert.Equal(999 / 16, windows.Windows);
        for (int n = 0; n < 30; n++)
        {
            var batch = windows.Next();
            Assert.Equal([5, 0], batch.Source.ShapeArray());
            Assert.Equal([5, 16], batch.TargetInput.ShapeArray());
            Assert.Equal(batch.TargetInput.ShapeArray(), batch.TargetOutput.ShapeArray());
            Assert.Equal(0, batch.SourceTokens);
            Assert.Equal(5 * 16, batch.TargetTokens);
            foreach (var (input, output) in BatchRows.Rows(batch.TargetInput).Zip(BatchRows.Rows(batch.TargetOutput)))
            {
                Assert.Equal(0, (input[0] - 100) % 16);                                       // starts on a window boundary
                Assert.Equal(Enumerable.Range(input[0], 16), input);                          // consecutive tokens
                Assert.Equal(input.Select(t => t + 1), output);                               // the next token of each
            }
        }
    }

    [Fact]
    public void EveryWindowAppearsOncePerEpoch()
    {
        // 1 + 12 × 8 tokens: 12 windows of 8, batched 3 at a time, 4 batches an epoch.
        var windows = new TextWindows(Stream(1 + 12 * 8), context: 8, batchSize: 3, seed: 1);
        Assert.Equal(12, windows.Windows);
        Assert.Equal(4, windows.BatchesPerEpoch);
        var epochs = new List<List<int>>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var starts = Enumerable.Range(0, windows.BatchesPerEpoch).SelectMany(_ => Inputs(windows.Next())).Select(w => w[0]).ToList();
            Assert.Equal(epoch, windows.Epoch);
            Assert.Equal(Enumerable.Range(0, 12).Select(i => 100 + 8 * i), starts.Order());
            epochs.Add(starts);
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        windows.Next();
        Assert.Equal(3, windows.Epoch);
    }

    [Fact]
    public void APartialLastBatchIsDroppedAndNoWindowRepeatsWithinAnEpoch()
    {
        var windows = new TextWindows(Stream(1 + 10 * 4), context: 4, batchSize: 3, seed: 2);
        Assert.Equal(10, windows.Windows);
        Assert.Equal(3, windows.BatchesPerEpoch);
        var starts = Enumerable.Range(0, 3).SelectMany(_ => Inputs(windows.Next())).Select(w => w[0]).ToList();
        Assert.Equal(9, starts.Distinct().Count());

        // For evaluation, All() gives every window once, in stream order, the last batch partial.
        var all = windows.All();
        Assert.Equal([3, 3, 3, 1], all.Select(b => b.Size));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 100 + 4 * i), all.SelectMany(Inputs).Select(w => w[0]));
    }

    [Fact]
    public void FewerWindowsThanABatchGiveOnePartialBatch()
    {
        var windows = new TextWindows(Stream(9), context: 4, batchSize: 8, seed: 1);
        Assert.Equal(1, windows.BatchesPerEpoch);
        Assert.Equal(2, windows.Next().Size);
        Assert.Throws<ArgumentException>(() => new TextWindows(Stream(4), context: 4, batchSize: 1, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextWindows(Stream(40), context: 0, batchSize: 1, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextWindows(Stream(40), context: 4, batchSize: 0, seed: 1));
    }

    [Fact]
    public void ResumingFromASavedStateGivesTheSameBatches()
    {
        var tokens = Stream(2000);
        var original = new TextWindows(tokens, context: 10, batchSize: 7, seed: 5);
        int perEpoch = original.BatchesPerEpoch;
        foreach (int drawn in new[] { 0, 5, perEpoch, perEpoch + 1 })
        {
            var run = new TextWindows(tokens, context: 10, batchSize: 7, seed: 5);
            for (int i = 0; i < drawn; i++) run.Next();
            string state = run.SaveState();
            var resumed = new TextWindows(tokens, context: 10, batchSize: 7, seed: 5);
            resumed.LoadState(state);
            Assert.Equal(run.Epoch, resumed.Epoch);
            for (int i = 0; i < perEpoch + 3; i++)
                Assert.Equal(BatchRows.Fingerprint(run.Next()), BatchRows.Fingerprint(resumed.Next()));
        }
        foreach (string bad in new[] { "", "1", "x,0", "0,-1", $"0,{perEpoch + 1}", "0,0,0" })
            Assert.Throws<InvalidDataException>(() => original.LoadState(bad));
        Assert.Equal("0,0", original.SaveState().Split(';')[0]);
    }
}
