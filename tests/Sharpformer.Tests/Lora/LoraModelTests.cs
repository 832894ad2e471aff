using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.NN;

namespace Sharpformer.Tests.Lora;

/// <summary>
/// Low-rank adapters in whole models: a new adapter changes nothing, only adapters receive gradients, merged and
/// unmerged models agree, cached decoding includes the adapters, and finite differences confirm the gradients.
/// </summary>
public class LoraModelTests
{
    private static readonly Tensor Source = Tensor.FromArray([5, 9, 12, 7, 3, 0, 8, 8, 21, 4, 6, 2], 2, 6);
    private static readonly Tensor Target = Tensor.FromArray([1, 14, 15, 16, 17, 1, 22, 23, 24, 25], 2, 5);

    private static Transformer Model(NormPlacement norm = NormPlacement.Post) =>
        new(TransformerConfig.Tiny(30) with { Norm = norm, MaxLength = 20, Dropout = 0f }, new Rng(3));

    // Gives every adapter's B random values, so that the adapters change the outputs.
    private static void Train(Module model, ulong seed)
    {
        var rng = new Rng(seed);
        using var _ = GradMode.NoGrad();
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)))
            p.CopyFrom(Tensor.Normal(p.ShapeArray(), rng, std: 0.05f));
    }

    private static float[] Logits(SequenceModel model)
    {
        using var _ = GradMode.NoGrad();
        return model.TeacherForcedLogits(Source, Target).ToArray();
    }

    [Fact]
    public void ANewAdapterChangesNothing()
    {
        var model = Model();
        model.Eval();
        var before = Logits(model);
        model.AddLora(new LoraOptions { Targets = LoraTargets.All }, new Rng(9));
        Assert.Equal(before, Logits(model));
        Assert.True(model.HasLora);
    }

    [Theory]
    [InlineData(LoraTargets.Query | LoraTargets.Value, 2 * 2 + 2 * 4)]      // q, v of 2 + 4 attentions: 12 adapters
    [InlineData(LoraTargets.All, 2 * (4 + 2) + 2 * (8 + 2))]                // every q, k, v, o and both feed-forward layers
    public void OnlyTheAdaptersOfTheTargetsTrain(LoraTargets targets, int adapters)
    {
        var model = Model();
        long before = model.ParameterCount();
        model.AddLora(new LoraOptions { Rank = 4, Targets = targets }, new Rng(9));
        var trainable = model.NamedParameters().Where(p => p.Value.RequiresGrad).ToList();
        Assert.Equal(2 * adapters, trainable.Count);
        Assert.All(trainable, p => Assert.Contains(".lora_", p.Name));
        Assert.All(trainable, p => Assert.Contains(4, p.Value.ShapeArray()));     // A: [4, in], B: [out, 4]

        model.Train();
        model.TeacherForcedLogits(Source, Target).Sum().Backward();
        Assert.All(model.NamedParameters(), p => Assert.Equal(p.Value.RequiresGrad, p.Value.Grad is not null));
        Assert.Equal(before + trainable.Sum(p => (long)p.Value.Length), model.ParameterCount());
    }

    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void MergedAndUnmergedModelsGiveTheSameLogits(NormPlacement norm)
    {
        var model = Model(norm);
        model.AddLora(new LoraOptions { Rank = 3, Alpha = 6, Targets = LoraTargets.All }, new Rng(9));
        Train(model, 4);
        model.Eval();
        var unmerged = Logits(model);
        var untouched = Model(norm);
        untouched.Eval();
        Assert.True(Logits(untouched).Zip(unmerged).Any(p => Math.Abs(p.First - p.Second) > 1e-3f), "the adapters changed nothing");

        AssertMergesToTheSameLogits(model, unmerged);
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    // Merges the adapters and checks the plain model gives the logits it gave with them, to 1e-5 relative.
    private static void AssertMergesToTheSameLogits(SequenceModel model, float[] unmerged)
    {
        model.MergeLora();
        Assert.False(model.HasLora);
        Assert.DoesNotContain(model.NamedParameters(), p => p.Name.Contains("lora"));
        var merged = Logits(model);
        for (int i = 0; i < merged.Length; i++)
            Assert.True(Math.Abs(merged[i] - unmerged[i]) <= 1e-5f * Math.Max(1, Math.Abs(unmerged[i])),
                $"{i}: {merged[i]} vs {unmerged[i]}");
    }

    [Fact]
    public void CachedDecodingIncludesTheAdapters()
    {
        var model = Model(NormPlacement.Pre);
        model.AddLora(new LoraOptions { Rank = 2, Targets = LoraTargets.All }, new Rng(9));
        Train(model, 5);
        model.Eval();
        CachedDecoding.AssertMatchesFullForward(model, Source, Target, 1e-5f);
    }

    // Tied output and shared tables: one vocabulary matrix, one adapter; a shared table and its own output layer (the
    // toy tasks' default): two; separate tables and output layer: three.
    [Theory]
    [InlineData(true, true, 1)]
    [InlineData(true, false, 2)]
    [InlineData(false, false, 3)]
    public void VocabularyAdaptersTrainMergeAndDecodeAsTheUnmergedModel(bool shared, bool tied, int adapters)
    {
        var config = TransformerConfig.Tiny(30) with { MaxLength = 20, Dropout = 0f, ShareEmbeddings = shared, TieOutput = tied };
        var model = new Transformer(config, new Rng(3));
        model.AddLora(new LoraOptions { Rank = 3, Alpha = 6, Targets = LoraTargets.Embedding | LoraTargets.Query }, new Rng(9));
        Assert.Equal(adapters, model.Parameters().Count(p => p.RequiresGrad && p.ShapeArray() is [30, 3]));   // each B: [vocabulary, r]
        model.Train();
        model.TeacherForcedLogits(Source, Target).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.Equal(p.RequiresGrad, p.Grad is not null));

        Train(model, 4);
        model.Eval();
        CachedDecoding.AssertMatchesFullForward(model, Source, Target, 1e-5f);
        AssertMergesToTheSameLogits(model, Logits(model));
        Assert.Null(model.SourceEmbedding.Lora);
    }

    [Fact]
    public void EmbeddingAdapterGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(2);
        var table = new Embedding(7, 5, rng);
        table.UseLora(new LoraAdapter(5, 7, rank: 2, alpha: 3f, dropout: 0f, rng), owns: true);
        Train(table, 6);
        var ids = Tensor.FromArray([3, 0, 6, 3], 2, 2);
        var adapters = table.Parameters().Where(p => p.RequiresGrad).ToArray();
        Assert.Equal(3, adapters.Length);   // the table itself, A and B (a lone table is not frozen here)
        var result = GradCheck.Run(_ => table.Forward(ids).Tanh(), adapters);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void AdapterGradientsMatchFiniteDifferences()
    {
        var rng = new Rng(2);
        var layer = new Linear(5, 4, rng);
        layer.AttachLora(rank: 2, alpha: 3f, dropout: 0f, rng);
        Train(layer, 6);
        var x = Tensor.Normal([3, 5], rng);
        var adapters = layer.Parameters().Where(p => p.RequiresGrad).ToArray();
        Assert.Equal(2, adapters.Length);
        var result = GradCheck.Run(_ => layer.Forward(x).Tanh(), adapters);
        Assert.True(result.Passed, result.Report);
        var input = Tensor.Normal([3, 5], rng).RequireGrad();
        var inputResult = GradCheck.Run(v => layer.Forward(v[0]).Tanh(), [input]);
        Assert.True(inputResult.Passed, inputResult.Report);
    }

    [Fact]
    public void AttentionAdapterGradientsMatchFiniteDifferences()
    {
        // q and v adapted, k not: the in-projection's adapters run as one block-diagonal low-rank term; self- and
        // cross-attention (whose key/value projection has the v adapter only) both checked.
        var rng = new Rng(4);
        var attention = new MultiHeadAttention(6, 2, 0f, rng);
        attention.AttachLora(new LoraOptions { Rank = 2, Alpha = 3f, Dropout = 0f, Targets = LoraTargets.Query | LoraTargets.Value }, rng);
        Train(attention, 7);
        var (x, memory) = (Tensor.Normal([2, 3, 6], rng), Tensor.Normal([2, 4, 6], rng));
        var adapters = attention.NamedParameters().Where(p => p.Name.Contains("lora_", StringComparison.Ordinal))
            .Select(p => p.Value).ToArray();
        Assert.Equal(4, adapters.Length);
        var self = GradCheck.Run(_ => attention.Forward(x, x, x).Output.Tanh(), adapters);
        Assert.True(self.Passed, self.Report);
        var cross = GradCheck.Run(_ => attention.Forward(x, memory, memory).Output.Tanh(), adapters);
        Assert.True(cross.Passed, cross.Report);
    }

    [Fact]
    public void AnAdaptedLinearAddsWhatItsAdapterComputesAndMergesIntoItsWeight()
    {
        var rng = new Rng(6);
        var linear = new Linear(6, 4, rng);
        var x = Tensor.Normal([2, 3, 6], rng);
        var plain = linear.Forward(x).ToArray();
        var adapter = linear.AttachLora(2, 4f, 0f, rng);
        using var _ = GradMode.NoGrad();
        adapter.B.Weight.CopyFrom(Tensor.Normal([4, 2], rng));
        var adapted = linear.Forward(x).ToArray();
        var added = adapter.Forward(x).ToArray();                      // (α/r)·x·Aᵀ·Bᵀ
        var throughDelta = x.Linear(adapter.Delta(), null).ToArray();  // x·ΔWᵀ, ΔW = (α/r)·B·A
        for (int i = 0; i < adapted.Length; i++)
        {
            Assert.Equal(plain[i] + added[i], adapted[i], 1e-5f);
            Assert.Equal(added[i], throughDelta[i], 1e-5f);
        }
        Assert.True(added.Any(v => Math.Abs(v) > 1e-2f), "the adapter added nothing");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALowRankTermIsAccumulatedIntoTheLinearsOutput(bool relu)
    {
        // x·Wᵀ + b + down·upᵀ (then ReLU) as one op against the ops it replaces: values and every gradient.
        var rng = new Rng(5);
        Tensor Parameter(params int[] shape) => Tensor.Normal(shape, rng).RequireGrad();
        var (x, w, b, down, up) = (Parameter(2, 3, 6), Parameter(4, 6), Parameter(4), Parameter(2, 3, 2), Parameter(4, 2));
        var g = Tensor.Normal([2, 3, 4], rng);
        Tensor[] inputs = [x, w, b, down, up];
        float[][] ValuesAndGradients(Func<Tensor> f)
        {
            foreach (var t in inputs) t.ZeroGrad();
            var y = f();
            y.Backward(g);
            return [y.ToArray(), .. inputs.Select(t => t.Grad!.ToArray())];
        }
        var expected = ValuesAndGradients(() =>
        {
            var sum = x.Linear(w, b) + down.Linear(up, null);
            return relu ? sum.Relu() : sum;
        });
        var actual = ValuesAndGradients(() => x.LinearLowRank(w, b, down, up, relu));
        for (int i = 0; i < expected.Length; i++)
            Assert.All(actual[i].Zip(expected[i]), p => Assert.Equal(p.Second, p.First, 1e-5f));
        Assert.Throws<ShapeMismatchException>(() => x.LinearLowRank(w, b, Tensor.Normal([2, 4, 2], rng), up, relu));
        Assert.Throws<ShapeMismatchException>(() => x.LinearLowRank(w, b, down, Tensor.Normal([5, 2], rng), relu));
        Assert.Throws<ShapeMismatchException>(() => x.LinearLowRank(w, b, down, Tensor.Normal([4, 3], rng), relu));
    }

    [Fact]
    public void ALanguageModelsAdaptersMergeAndDecodeStepByStepAsItsFullForward()
    {
        // Decoder-only, output tied to the embedding: one vocabulary adapter serves the lookups and the logits.
        var model = new LanguageModel(TransformerConfig.TinyLanguageModel(30) with { MaxLength = 20, Dropout = 0f }, new Rng(3));
        model.AddLora(new LoraOptions { Rank = 3, Alpha = 6, Targets = LoraTargets.All | LoraTargets.Embedding }, new Rng(9));
        Assert.Equal(1, model.Parameters().Count(p => p.RequiresGrad && p.ShapeArray() is [30, 3]));
        Train(model, 4);
        model.Eval();
        int[] ids = [1, 7, 9, 4, 22, 13, 5, 17];
        var tokens = Tensor.FromArray([.. ids.Select(t => (float)t)], 1, ids.Length);
        using (GradMode.NoGrad())
        {
            var full = model.Forward(tokens).ToArray();   // [1, T, V]
            var cache = model.NewCache();
            for (int t = 0; t < ids.Length; t++)
            {
                var step = model.DecodeStep(Tensor.FromArray([ids[t]]), cache).ToArray();
                for (int v = 0; v < step.Length; v++)
                    Assert.True(Math.Abs(step[v] - full[t * 30 + v]) <= 1e-5f * Math.Max(1, Math.Abs(full[t * 30 + v])),
                        $"position {t}, logit {v}: {step[v]} vs {full[t * 30 + v]}");
            }
        }
        var untouched = new LanguageModel(TransformerConfig.TinyLanguageModel(30) with { MaxLength = 20, Dropout = 0f }, new Rng(3));
        untouched.Eval();
        var unmerged = Logits(model);
        Assert.True(Logits(untouched).Zip(unmerged).Any(p => Math.Abs(p.First - p.Second) > 1e-3f), "the adapters changed nothing");
        AssertMergesToTheSameLogits(model, unmerged);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        var model = Model();
        Assert.Throws<ArgumentException>(() => model.AddLora(new LoraOptions { Rank = 0 }, new Rng(1)));
        Assert.Throws<ArgumentException>(() => model.AddLora(new LoraOptions { Alpha = float.NaN }, new Rng(1)));
        Assert.Contains("rank 65 is more than the attention weights ([64, 64]) allow: at most 64",
            Assert.Throws<ArgumentException>(() => model.AddLora(new LoraOptions { Rank = 65 }, new Rng(1))).Message);
        // q and v take rank 40, the vocabulary matrix [30, 64] does not: refused before any weight froze or adapter came.
        var tooLarge = new LoraOptions { Rank = 40, Targets = LoraTargets.Query | LoraTargets.Value | LoraTargets.Embedding };
        Assert.Contains("vocabulary weights ([30, 64])",
            Assert.Throws<ArgumentException>(() => model.AddLora(tooLarge, new Rng(1))).Message);
        Assert.False(model.HasLora);
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Throws<ArgumentException>(() => model.AddLora(new LoraOptions { Alpha = 2e6f }, new Rng(1)));
        Assert.Contains("'x'", Assert.Throws<ArgumentException>(() => LoraOptions.ParseTargets("q,x")).Message);
        Assert.Equal(LoraTargets.Query | LoraTargets.Value | LoraTargets.FeedForward, LoraOptions.ParseTargets("q, v,ff"));
        Assert.Equal("q,k,v,o,ff", LoraOptions.FormatTargets(LoraOptions.ParseTargets("all")));
        model.AddLora(new LoraOptions(), new Rng(1));
        Assert.Throws<InvalidOperationException>(() => model.AddLora(new LoraOptions(), new Rng(1)));
        var int8 = Model();
        int8.QuantizeWeights();
        Assert.Throws<InvalidOperationException>(() => int8.AddLora(new LoraOptions(), new Rng(1)));
    }
}
