using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Data;

/// <summary>Padding layout (bos, eos, pad) and the attention masks built from a padded batch.</summary>
public sealed class BatchTests
{
    private const int B = SpecialTokens.Bos, E = SpecialTokens.Eos, P = SpecialTokens.Pad;

    private static Batch HandWritten() => Batch.FromPairs([new SequencePair([5, 6, 7], [8, 9]), new SequencePair([10], [11, 12, 13])]);

    [Fact]
    public void FromPairsLaysOutBosEosAndPadding()
    {
        var batch = HandWritten();
        Assert.Equal(2, batch.Size);
        Assert.Equal([[5, 6, 7], [10, P, P]], BatchRows.Rows(batch.Source));
        Assert.Equal([[B, 8, 9, P], [B, 11, 12, 13]], BatchRows.Rows(batch.TargetInput));
        Assert.Equal([[8, 9, E, P], [11, 12, 13, E]], BatchRows.Rows(batch.TargetOutput));
        Assert.Equal(4, batch.SourceTokens);
        Assert.Equal(3 + 4, batch.TargetTokens); // targets plus one eos each
        Assert.Throws<ArgumentException>(() => Batch.FromPairs([]));
    }

    [Fact]
    public void ABatchMadeWithOtherIdsThanTheModelsIsRefusedWhereItWouldCountPadding()
    {
        var config = TransformerConfig.Tiny(30) with { PadId = 29, BosId = 28, EosId = 28, MaxLength = 16 };
        var model = new Transformer(config, new Rng(1));
        var reserved = HandWritten();   // padded with 0, which this model reads as a token
        string refused = Assert.Throws<ArgumentException>(() => Sharpformer.Training.TeacherForcedEvaluation.Run(model, [reserved]))
            .Message;
        Assert.Contains($"the batch was made with padding {P}, bos {B} and eos {E}, the model's are 29, 28 and 28", refused);
        var fitting = Batch.FromPairs([new SequencePair([5, 6, 7], [8, 9]), new SequencePair([10], [11, 12, 13])], SpecialIds.Of(config));
        var (loss, _) = Sharpformer.Training.TeacherForcedEvaluation.Run(model, [fitting]);
        Assert.True(float.IsFinite(loss));
        HandWritten().CheckFits(TransformerConfig.Tiny(30));   // the reserved ids are a default model's
    }

    [Fact]
    public void OtherSpecialIdsLayOutTheSameWayAndRowsKeepThem()
    {
        var ids = new SpecialIds(Pad: 20, Bos: 21, Eos: 21);
        var batch = Batch.FromPairs([new SequencePair([5, 0, 7], [8, 9]), new SequencePair([10], [11, 12, 13])], ids);
        Assert.Equal(ids, batch.Ids);
        Assert.Equal([[5, 0, 7], [10, 20, 20]], BatchRows.Rows(batch.Source));
        Assert.Equal([[21, 8, 9, 20], [21, 11, 12, 13]], BatchRows.Rows(batch.TargetInput));
        Assert.Equal([[8, 9, 21, 20], [11, 12, 13, 21]], BatchRows.Rows(batch.TargetOutput));

        var first = batch.Rows(0, 1);   // id 0 is an ordinary token here, the padding is 20
        Assert.Equal(ids, first.Ids);
        Assert.Equal([[5, 0, 7]], BatchRows.Rows(first.Source));
        Assert.Equal([[8, 9, 21]], BatchRows.Rows(first.TargetOutput));
        Assert.Equal((3, 3), (first.SourceTokens, first.TargetTokens));
    }

    [Fact]
    public void AnEmptyTargetIsJustBosThenEos()
    {
        var batch = Batch.FromPairs([new SequencePair([4], [])]);
        Assert.Equal([[B]], BatchRows.Rows(batch.TargetInput));
        Assert.Equal([[E]], BatchRows.Rows(batch.TargetOutput));
    }

    [Fact]
    public void ForLanguageModelShiftsEachWindowByOne()
    {
        var batch = Batch.ForLanguageModel([[4, 5, 6, 7], [8, 9, 10, 11]]);
        Assert.Equal([2, 0], batch.Source.ShapeArray());
        Assert.Equal([[4, 5, 6], [8, 9, 10]], BatchRows.Rows(batch.TargetInput));
        Assert.Equal([[5, 6, 7], [9, 10, 11]], BatchRows.Rows(batch.TargetOutput));
        Assert.Equal(6, batch.TargetTokens);
        Assert.Throws<ArgumentException>(() => Batch.ForLanguageModel([[4, 5, 6], [4, 5]]));
        Assert.Throws<ArgumentException>(() => Batch.ForLanguageModel([[4]]));
    }

    [Fact]
    public void InOrderKeepsTheOrderAndTheBudget()
    {
        var pairs = Enumerable.Range(0, 50)
            .Select(i => new SequencePair([100 + i, .. Enumerable.Repeat(5, i % 7)], [.. Enumerable.Repeat(6, 1 + i % 5)])).ToList();
        var batches = Batch.InOrder(pairs, batchTokens: 24);
        Assert.Equal(pairs.Select(p => p.Source[0]), batches.SelectMany(BatchRows.Pairs).Select(p => p.Source[0]));
        Assert.All(batches, b => Assert.True(b.Size == 1 || b.Size * Math.Max(b.Source.Size(1), b.TargetInput.Size(1)) <= 24));
    }

    [Fact]
    public void KeyPaddingBlocksExactlyThePadPositions()
    {
        var batch = HandWritten();
        foreach (var ids in new[] { batch.Source, batch.TargetInput })
        {
            var mask = AttentionMask.KeyPadding(ids, SpecialTokens.Pad).Additive;
            Assert.Equal([ids.Size(0), 1, 1, ids.Size(1)], mask.ShapeArray());
            var values = mask.ToArray();
            var rows = BatchRows.Rows(ids);
            for (int b = 0; b < rows.Length; b++)
                for (int j = 0; j < rows[b].Length; j++)
                    Assert.Equal(rows[b][j] == P ? float.NegativeInfinity : 0f, values[b * rows[b].Length + j]);
        }
        // Source row 1 is [10, pad, pad]: only key 0 is open.
        Assert.Equal([0f, float.NegativeInfinity, float.NegativeInfinity],
            AttentionMask.KeyPadding(batch.Source, P).Additive.ToArray()[3..]);
    }

    [Fact]
    public void TheTargetMaskBlocksTheFutureAndPaddingAndNothingElse()
    {
        var batch = HandWritten();
        var model = new Transformer(TransformerConfig.Tiny(20) with { MaxLength = 16 }, new Rng(1));
        var mask = model.TargetMask(batch.TargetInput).Additive;
        Assert.Equal([2, 1, 4, 4], mask.ShapeArray());
        var values = mask.ToArray();
        var rows = BatchRows.Rows(batch.TargetInput);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                {
                    bool blocked = j > i || rows[b][j] == P;
                    Assert.True((blocked ? float.NegativeInfinity : 0f) == values[((b * 4) + i) * 4 + j], $"row {b}, query {i}, key {j}");
                }
        Assert.Equal(AttentionMask.KeyPadding(batch.Source, P).Additive.ToArray(), model.SourceMask(batch.Source).Additive.ToArray());
    }

    [Fact]
    public void PaddingDoesNotChangeTheModelsOutputForTheRealTokens()
    {
        // With the masks, a pair's logits are the same alone or padded beside a longer pair.
        var model = new Transformer(TransformerConfig.Tiny(20) with { MaxLength = 16 }, new Rng(2));
        model.Eval();
        var shortPair = new SequencePair([5, 6], [7]);
        var longPair = new SequencePair([8, 9, 10, 11, 12, 13], [14, 15, 16, 17, 18]);
        var alone = Batch.FromPairs([shortPair]);
        var padded = Batch.FromPairs([longPair, shortPair]);

        var aloneLogits = model.Forward(alone.Source, alone.TargetInput).ToArray();                     // [1, 2, 20]
        var paddedLogits = model.Forward(padded.Source, padded.TargetInput).ToArray();                  // [2, 6, 20]
        int t = padded.TargetInput.Size(1), vocab = 20;
        for (int i = 0; i < 2 * vocab; i++)
            Assert.Equal(aloneLogits[i], paddedLogits[t * vocab + i], 4);
    }
}
