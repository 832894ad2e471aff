using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Generation;

public class DecodingTests
{
    // An untrained model has a flat-ish, arbitrary distribution: a fair test that the algorithms agree.
    private static Transformer Model(NormPlacement norm = NormPlacement.Post) =>
        new(TransformerConfig.Tiny(30) with { Norm = norm, MaxLength = 64, Dropout = 0.1f }, new Rng(7));

    private static readonly Tensor Source = Tensor.FromArray([5, 9, 12, 7, 20, 0, 0, 8, 8, 15, 4, 6, 0, 0, 0], 3, 5);

    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void CachedAndUncachedDecodingGiveTheSameLogitsAtEveryStep(NormPlacement norm)
    {
        var model = Model(norm);
        var cached = new IncrementalDecoder(model, Source, useCache: true);
        var uncached = new IncrementalDecoder(model, Source, useCache: false);
        int[]? last = null;
        var rng = new Rng(3);
        for (int step = 0; step < 12; step++)
        {
            var a = cached.NextLogits(last);
            var b = uncached.NextLogits(last);
            Assert.Equal(b.Length, a.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f * Math.Max(1f, Math.Abs(b[i])),
                    $"step {step}, logit {i}: cached {a[i]} vs uncached {b[i]}");
            last = [.. Enumerable.Range(0, 3).Select(_ => SpecialTokens.Count + rng.NextInt(26))];
            if (step == 5)
            {
                // Beam search reorders rows: both decoders must follow.
                int[] rows = [2, 0, 0];
                cached.Reorder(rows);
                uncached.Reorder(rows);
            }
        }
    }

    [Fact]
    public void CachedAndUncachedDecodingAgreeWhenReorderingChangesTheNumberOfRows()
    {
        var model = Model(NormPlacement.Pre);
        var cached = new IncrementalDecoder(model, Source, useCache: true);
        var uncached = new IncrementalDecoder(model, Source, useCache: false);
        int[]? last = null;
        int[][] orders = [[1, 1, 2, 0, 2], [4, 0], [1, 1, 1]];                 // 3 → 5 → 2 → 3 rows
        for (int step = 0; step < 6; step++)
        {
            var a = cached.NextLogits(last);
            var b = uncached.NextLogits(last);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f * Math.Max(1f, Math.Abs(b[i])),
                    $"step {step}, logit {i}: cached {a[i]} vs uncached {b[i]}");
            if (step % 2 == 1)
            {
                cached.Reorder(orders[step / 2]);
                uncached.Reorder(orders[step / 2]);
            }
            last = [.. Enumerable.Range(0, cached.Rows).Select(r => SpecialTokens.Count + (step * 7 + r * 3) % 26)];
        }
    }

    [Fact]
    public void LogProbabilitiesAreALogSoftmaxInDoublePrecision()
    {
        float[] logits = [2.5f, -1f, float.NegativeInfinity, 0.25f, 7f, 7f];
        double logSum = 7 + Math.Log(Math.Exp(2.5 - 7) + Math.Exp(-8) + Math.Exp(0.25 - 7) + 2);
        Assert.Equal(logSum, LogProbabilities.LogSumExp(logits, new double[logits.Length]), 1e-12);
        var row = LogProbabilities.Row(logits);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i] - logSum, row[i], 1e-12);
        Assert.Equal(1.0, row.Sum(Math.Exp), 1e-12);
    }

    [Fact]
    public void GreedyDecodingIsTheSameWithAndWithoutTheCache()
    {
        var model = Model();
        var a = Greedy.Decode(model, Source, maxLength: 15, useCache: true);
        var b = Greedy.Decode(model, Source, maxLength: 15, useCache: false);
        Assert.Equal(a.Select(h => h.Tokens), b.Select(h => h.Tokens));
    }

    [Fact]
    public void BeamOfOneTopKOneAndZeroTemperatureEqualGreedy()
    {
        var model = Model();
        var greedy = Greedy.Decode(model, Source, maxLength: 15);
        Assert.Equal(greedy.Select(h => h.Tokens), BeamSearch.Decode(model, Source, beamSize: 1, maxLength: 15).Select(h => h.Tokens));
        Assert.Equal(greedy.Select(h => h.Tokens),
            Sampler.Decode(model, Source, new SamplingOptions(TopK: 1), new Rng(1), 15).Select(h => h.Tokens));
        Assert.Equal(greedy.Select(h => h.Tokens),
            Sampler.Decode(model, Source, new SamplingOptions(Temperature: 0f), new Rng(1), 15).Select(h => h.Tokens));
        Assert.Equal(greedy.Select(h => h.Tokens),
            Sampler.Decode(model, Source, new SamplingOptions(Temperature: 1e-4f), new Rng(2), 15).Select(h => h.Tokens));
        Assert.Equal(greedy.Select(h => h.Score),
            Sampler.Decode(model, Source, new SamplingOptions(TopK: 1), new Rng(1), 15).Select(h => h.Score));
    }

    [Fact]
    public void BeamSearchFindsAtLeastAsLikelyASequenceAsGreedy()
    {
        var model = Model();
        var greedy = Greedy.Decode(model, Source, maxLength: 10);
        var beam = BeamSearch.Decode(model, Source, beamSize: 4, maxLength: 10, lengthPenalty: 0f); // α = 0: raw log-probability
        // Every row is compared (ended or cut at the limit): the untrained model rarely ends within 10 tokens.
        for (int r = 0; r < greedy.Length; r++)
            Assert.True(beam[r].Score >= greedy[r].Score - 1e-4f, $"row {r}: beam {beam[r].Score} < greedy {greedy[r].Score}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameSamples()
    {
        var model = Model();
        var options = new SamplingOptions(Temperature: 1.2f, TopK: 10, TopP: 0.9f);
        var a = Sampler.Decode(model, Source, options, new Rng(42), 15);
        var b = Sampler.Decode(model, Source, options, new Rng(42), 15);
        var c = Sampler.Decode(model, Source, options, new Rng(43), 15);
        Assert.Equal(a.Select(h => h.Tokens), b.Select(h => h.Tokens));
        Assert.NotEqual(a.Select(h => string.Join(",", h.Tokens)), c.Select(h => string.Join(",", h.Tokens)));
    }

    [Fact]
    public void SamplingFrequenciesFollowTheFilteredDistribution()
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.15f), MathF.Log(0.1f)];
        const int draws = 40_000;
        double[] Frequencies(SamplingOptions options)
        {
            var counts = new double[logits.Length];
            var rng = new Rng(5);
            for (int i = 0; i < draws; i++) counts[Sampler.Choose(logits, options, rng)]++;
            return [.. counts.Select(c => c / draws)];
        }
        void Near(double[] expected, double[] actual)
        {
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) < 0.012, $"token {i}: expected {expected[i]:F3}, sampled {actual[i]:F3}");
        }
        Near([0.5, 0.25, 0.15, 0.1], Frequencies(new SamplingOptions(TopP: 1f)));              // the full distribution
        Near([0.5 / 0.75, 0.25 / 0.75, 0, 0], Frequencies(new SamplingOptions(TopK: 2)));
        Near([0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0], Frequencies(new SamplingOptions(TopP: 0.85f))); // smallest set reaching 85%
        var sharp = Frequencies(new SamplingOptions(Temperature: 0.5f));                           // p^2, renormalized
        double z = 0.25 + 0.0625 + 0.0225 + 0.01;
        Near([0.25 / z, 0.0625 / z, 0.0225 / z, 0.01 / z], sharp);
    }

    [Fact]
    public void ATinyTemperatureTakesTheMostLikelyTokenNeverAForbiddenOne()
    {
        // Large logits over a temperature of 1e-40 overflow float division (∞ / ∞ in the softmax: NaN everywhere), which
        // drew a fixed id — the padding id under top-p — whatever the logits said.
        float[] logits = [float.NegativeInfinity, 3e3f, 2.9e3f, -5e3f, float.NegativeInfinity];
        var rng = new Rng(3);
        foreach (var options in new[] { new SamplingOptions(1e-40f), new SamplingOptions(1e-40f, TopP: 0.9f),
                                        new SamplingOptions(float.Epsilon, TopK: 3) })
            for (int draw = 0; draw < 50; draw++) Assert.Equal(1, Sampler.Choose(logits, options, rng));
    }

    [Fact]
    public void BadSamplingOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions(Temperature: -1f).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions(TopK: -2).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions(TopP: 0f).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => BeamSearch.Decode(Model(), Source, 0, 5));
    }

    [Fact]
    public void DecodersStartAndStopAtTheModelsOwnIds()
    {
        // GPT-2's layout: padding after the vocabulary, one token both beginning and ending a sequence.
        const int pad = 29, endOfText = 28;
        var model = new Transformer(TransformerConfig.Tiny(30) with { PadId = pad, BosId = endOfText, EosId = endOfText, MaxLength = 64 },
            new Rng(7));
        model.Eval();
        var source = Tensor.FromArray([5, 9, 12, 7, 20, 5, 6, pad, pad, pad], 2, 5);

        var first = new IncrementalDecoder(model, source).NextLogits(null);
        var expected = model.Forward(source, Tensor.FromArray([endOfText, endOfText], 2, 1)).ToArray();
        for (int i = 0; i < first.Length; i++) Assert.True(Math.Abs(first[i] - expected[i]) <= 1e-5f, $"logit {i}");

        var all = Sampler.Decode(model, source, new SamplingOptions(Temperature: 3f), new Rng(9), 40)
            .Concat(Greedy.Decode(model, source, 40)).Concat(BeamSearch.Decode(model, source, 3, 40)).ToList();
        Assert.All(all, h => Assert.DoesNotContain(h.Tokens, t => t is pad or endOfText));
        Assert.Contains(all, h => h.Ended);   // ended by <|endoftext|>, which is not forbidden although it also begins
    }

    [Fact]
    public void DecodersNeverEmitPaddingOrBos()
    {
        var model = Model();
        var all = Sampler.Decode(model, Source, new SamplingOptions(Temperature: 3f), new Rng(9), 20)
            .Concat(Greedy.Decode(model, Source, 20)).Concat(BeamSearch.Decode(model, Source, 3, 20));
        Assert.All(all, h => Assert.DoesNotContain(h.Tokens, t => t == SpecialTokens.Pad || t == SpecialTokens.Bos));
    }
}
