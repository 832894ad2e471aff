using Sharpformer.Exercises.Week12;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 12: length normalization and beam search, against the library's beam search on small models.</summary>
[Trait("Week", "12")]
public sealed class Week12Tests
{
    [Theory]
    [InlineData(-3.5, 4, 0.6f)]
    [InlineData(-10.0, 1, 1.0f)]
    [InlineData(-7.25, 12, 0f)]
    public void LengthNormalizedMatchesGnmt(double logProbability, int length, float alpha) =>
        Assert.Equal(logProbability / Math.Pow((5.0 + length) / 6.0, alpha), Search.LengthNormalized(logProbability, length, alpha), 1e-5);

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(1, 4f)]
    [InlineData(3, 0f)]
    [InlineData(3, 4f)]
    [InlineData(5, 4f)]
    public void BeamMatchesTheLibrary(int beamSize, float eosBias)
    {
        var model = Model(eosBias);
        foreach (int[] source in (int[][])[[5, 6, 7], [9, 4], [3, 3, 8, 10, 11]])
        {
            var expected = BeamSearch.Decode(model, Tensor.FromArray([.. source.Select(id => (float)id)], 1, source.Length), beamSize,
                maxLength: 8, lengthPenalty: 0.6f)[0].Tokens;
            Assert.Equal(expected, Search.Beam(model, source, beamSize, maxLength: 8, alpha: 0.6f));
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(4f)]
    public void ABeamOfOneIsGreedyDecoding(float eosBias)
    {
        // Greedy written out here, apart from the library: the likeliest next token (pad and bos excluded) until eos.
        var model = Model(eosBias);
        foreach (int[] source in (int[][])[[5, 6, 7], [9, 4], [3, 3, 8, 10, 11]])
        {
            var src = Tensor.FromArray([.. source.Select(id => (float)id)], 1, source.Length);
            var tokens = new List<int>();
            using (Autograd.GradMode.NoGrad())
                while (tokens.Count < 8)
                {
                    var input = Tensor.FromArray([model.Config.BosId, .. tokens.Select(t => (float)t)], 1, tokens.Count + 1);
                    var logits = model.Forward(src, input);                                 // [1, T, V]
                    int vocab = logits.Size(2), last = tokens.Count;
                    var row = Enumerable.Range(0, vocab).Select(v => logits[0, last, v]).ToArray();
                    row[model.Config.PadId] = row[model.Config.BosId] = float.NegativeInfinity;
                    int next = Array.IndexOf(row, row.Max());
                    if (next == model.Config.EosId) break;
                    tokens.Add(next);
                }
            Assert.Equal(tokens, Search.Beam(model, source, beamSize: 1, maxLength: 8, alpha: 0.6f));
        }
    }

    // A small random model; a bias towards eos makes hypotheses end before the length limit.
    private static Transformer Model(float eosBias)
    {
        var config = TransformerConfig.Tiny(12) with { Dropout = 0f };
        var model = new Transformer(config, new Rng(12));
        var state = model.StateDict().ToDictionary(p => p.Key, p => p.Value);
        var bias = state["generator.bias"].ToArray();
        bias[config.EosId] += eosBias;
        state["generator.bias"] = Tensor.FromArray(bias);
        model.LoadStateDict(state);
        model.Eval();
        return model;
    }
}
