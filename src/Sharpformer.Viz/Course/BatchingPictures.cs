using System.Globalization;
using Sharpformer.Data;
using Sharpformer.Tensors;
using Sharpformer.Text;
using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 11: why batches are cut from pools sorted by length. The Bible's training verses, tokenized with a BPE of
/// 4,000 trained on them, batched under a budget of 4,096 padded tokens twice — in random order, and by
/// <see cref="BucketBatcher"/> — with one batch of each drawn row by row and the padding of a whole epoch counted.
/// </summary>
internal static class BatchingPictures
{
    private const int BatchTokens = 4096, Rows = 24, MaxLength = 128;

    /// <summary>Writes the two batches side by side, real tokens in colour and padding in grey.</summary>
    public static void Write(string path)
    {
        var train = Corpora.BibleVerses(Split.Train).Select(v => (v.English, v.Spanish)).ToList();
        var tokenizer = TokenizerTrainer.Train("bpe", train.SelectMany(p => new[] { p.English, p.Spanish }),
            new TokenizerTrainingOptions { VocabSize = 4000 });
        var pairs = EncodedPairs.Encode(train, tokenizer.Encode, MaxLength).Pairs;

        var bucketer = new BucketBatcher(pairs, BatchTokens, seed: 1);
        var bucketed = Enumerable.Range(0, bucketer.BatchesPerEpoch).Select(_ => bucketer.Next()).ToList();
        var random = RandomBatches(pairs, new Rng(1));

        using var diagram = new Diagram(1240, 760, "Padding: batches in random order against length buckets",
            string.Create(CultureInfo.InvariantCulture,
                $"The Bible's {pairs.Count:N0} training verses (BPE 4,000), at most {BatchTokens:N0} padded tokens a batch: " +
                $"{Rows} English rows of a typical batch (the median width), each padded to its longest"));
        Panel(diagram, 40, "In random order", random);
        Panel(diagram, 640, "Sorted in pools of 4,096 (BucketBatcher)", bucketed);
        diagram.Text(620, 745, "Every grey cell is computed and thrown away: attention, feed-forward and the output layer run on it, " +
            "masked out of the loss.", 14);
        diagram.Save(path);
    }

    // One side: the title, the epoch's padding, and `Rows` source rows of a typical batch (the median width) as bars.
    private static void Panel(Diagram diagram, float left, string title, List<Batch> epoch)
    {
        var shown = epoch.OrderBy(b => b.Source.Size(1)).ElementAt(epoch.Count / 2);
        var blue = new SKColor(60, 110, 200);
        var grey = new SKColor(215, 215, 215);
        long real = epoch.Sum(b => (long)b.SourceTokens + b.TargetTokens);
        long padded = epoch.Sum(b => (long)b.Source.Length + b.TargetOutput.Length);
        diagram.Text(left + 280, 100, title, 17, bold: true);
        diagram.Text(left + 280, 124, string.Create(CultureInfo.InvariantCulture,
            $"an epoch: {epoch.Count} batches, {1 - real / (double)padded:P1} of the tokens padding"), 15);

        int width = shown.Source.Size(1);
        float cell = 560f / MaxLength, rowHeight = 22;
        for (int r = 0; r < Math.Min(Rows, shown.Size); r++)
        {
            int length = Enumerable.Range(0, width).Count(t => shown.Source[r, t] != shown.Ids.Pad);
            float y = 150 + r * rowHeight;
            diagram.Rect(left, y, length * cell, rowHeight - 4, blue);
            diagram.Rect(left + length * cell, y, (width - length) * cell, rowHeight - 4, grey);
        }
        diagram.Text(left + 280, 150 + Rows * rowHeight + 22, string.Create(CultureInfo.InvariantCulture,
            $"this batch: {shown.Size} verses × {width} source tokens (the first {Rows} shown)"), 14);
    }

    // The same budget without sorting: the shuffled pairs cut in their order, as evaluation batches them.
    private static List<Batch> RandomBatches(IReadOnlyList<SequencePair> pairs, Rng rng)
    {
        var shuffled = pairs.ToArray();
        rng.Shuffle<SequencePair>(shuffled);
        return Batch.InOrder(shuffled, BatchTokens);
    }
}
