using Sharpformer.Autograd;
using Sharpformer.Distributed;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Distributed;

/// <summary>
/// A model split over ranks (<see cref="SequenceModel.SplitAcross"/>) computes what the whole model computes: the same
/// logits, loss and gradients (gathered whole), with ranks as threads of this process (<see cref="ThreadGroup"/>), so these
/// run everywhere; the MPI tests run the same model through mpirun.
/// </summary>
public sealed class TensorParallelTests(ITestOutputHelper output)
{
    private const int Vocab = 23;

    // Row 1 of the source and target is padded: the masks and the ignored positions are exercised.
    private static readonly Tensor Source = Ids([5, 9, 3, 7, 2, 8, 4, 6, 0, 0], 2, 5);
    private static readonly Tensor TargetInput = Ids([1, 4, 11, 6, 1, 12, 0, 0], 2, 4);
    private static readonly Tensor TargetOutput = Ids([4, 11, 6, 2, 12, 2, 0, 0], 2, 4);

    public static TheoryData<string> Configs => ["post-norm ReLU", "pre-norm GELU", "tied output", "RoPE", "decoder-only"];

    private static TransformerConfig Config(string name)
    {
        var tiny = TransformerConfig.Tiny(Vocab) with { DModel = 16, Heads = 4, DimFeedForward = 24, Dropout = 0f };
        return name switch
        {
            "pre-norm GELU" => tiny with { Norm = NormPlacement.Pre, Activation = ActivationKind.Gelu },
            "tied output" => tiny with { TieOutput = true },
            "RoPE" => tiny with { Positional = PositionalKind.Rope },
            "decoder-only" => tiny with { Architecture = Architecture.DecoderOnly, EncoderLayers = 0, DecoderLayers = 3, TieOutput = true },
            _ => tiny,
        };
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void TwoRanksGiveTheLogitsAndGradientsOfTheWholeModel(string name)
    {
        var config = Config(name);
        var whole = Pass(SequenceModel.Create(config, new Rng(3)));
        var ranks = ThreadGroup.Run(2, world =>
        {
            var model = SequenceModel.Create(config, new Rng(3));
            model.SplitAcross(new TensorParallel(world));
            return Pass(model);
        });
        double logits = 0, gradients = 0;
        foreach (var rank in ranks)
        {
            logits = Math.Max(logits, RelativeError.Max(whole.Logits, rank.Logits));
            foreach (var (parameter, expected) in whole.Gradients)
                gradients = Math.Max(gradients, RelativeError.Max(expected, rank.Gradients[parameter]));
            Assert.Equal(whole.Gradients.Keys.Order(), rank.Gradients.Keys.Order());
        }
        output.WriteLine($"{name}: logits differ by at most {logits:E2} of the largest, gradients {gradients:E2}; " +
                         $"loss {whole.Loss} / {ranks[0].Loss}");
        Assert.True(logits <= 1e-5, $"logits differ by {logits:E2}");
        Assert.True(gradients <= 1e-5, $"gradients differ by {gradients:E2}");
        Assert.Equal(ranks[0].Logits, ranks[1].Logits);   // the replicated output: the same bits on every rank
    }

    [Fact]
    public void FourRanksSplitFourHeadsOneEach()
    {
        var config = Config("pre-norm GELU");
        var whole = Pass(SequenceModel.Create(config, new Rng(4)));
        var ranks = ThreadGroup.Run(4, world =>
        {
            var model = SequenceModel.Create(config, new Rng(4));
            model.SplitAcross(new TensorParallel(world));
            return Pass(model);
        });
        Assert.True(RelativeError.Max(whole.Logits, ranks[3].Logits) <= 1e-5);
        Assert.All(whole.Gradients, g => Assert.True(RelativeError.Max(g.Value, ranks[2].Gradients[g.Key]) <= 1e-5, g.Key));
    }

    [Fact]
    public void ARankHoldsItsShareOfEachSplitParameterAndTheRestWhole()
    {
        var config = Config("post-norm ReLU");
        var shapes = ThreadGroup.Run(2, world =>
        {
            var model = SequenceModel.Create(config, new Rng(1));
            var group = new TensorParallel(world);
            model.SplitAcross(group);
            return model.NamedParameters().ToDictionary(p => p.Name, p => (Share: p.Value.ShapeArray(), Whole: group.WholeShape(p.Value),
                Split: group.IsSplit(p.Value)));
        })[1];
        Assert.Equal([24, 16], shapes["transformer.encoder.layers.0.self_attn.in_proj_weight"].Share);       // 3 × 16 rows, half of each
        Assert.Equal([48, 16], shapes["transformer.encoder.layers.0.self_attn.in_proj_weight"].Whole);
        Assert.Equal([16, 8], shapes["transformer.decoder.layers.1.multihead_attn.out_proj.weight"].Share);
        Assert.Equal([16], shapes["transformer.decoder.layers.1.multihead_attn.out_proj.bias"].Share);       // added once, after the sum
        Assert.False(shapes["transformer.decoder.layers.1.multihead_attn.out_proj.bias"].Split);
        Assert.Equal([12, 16], shapes["transformer.encoder.layers.1.linear1.weight"].Share);
        Assert.Equal([16, 12], shapes["transformer.encoder.layers.1.linear2.weight"].Share);
        Assert.False(shapes["transformer.encoder.layers.1.norm2.weight"].Split);
        Assert.Equal([Vocab, 16], shapes["src_embed.weight"].Share);
        Assert.Equal([12, 16], shapes["generator.weight"].Share);                                // vocabulary [11, 23)
        Assert.Equal([Vocab, 16], shapes["generator.weight"].Whole);
        long whole = SequenceModel.Create(config, new Rng(1)).ParameterCount();
        Assert.Equal(whole, shapes.Values.Sum(s => s.Whole.Aggregate(1L, (a, b) => a * b)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ThreeRanksSplitAVocabularyThatDoesNotDivide(bool tied)
    {
        // 23 classes over 3 ranks: 7, 8 and 8 of them; a tied output layer stays whole, as the embeddings do.
        var config = Config("post-norm ReLU") with { DModel = 12, Heads = 3, TieOutput = tied };
        var whole = Pass(SequenceModel.Create(config, new Rng(5)));
        var ranks = ThreadGroup.Run(3, world =>
        {
            var model = SequenceModel.Create(config, new Rng(5));
            model.SplitAcross(new TensorParallel(world));
            Assert.Equal(tied ? Vocab : world.Rank == 0 ? 7 : 8, model.Generator.Weight.Size(0));
            return Pass(model);
        });
        foreach (var rank in ranks)
        {
            Assert.Equal(whole.Loss, rank.Loss, 5e-6f);
            Assert.True(RelativeError.Max(whole.Logits, rank.Logits) <= 1e-5);
            Assert.All(whole.Gradients, g => Assert.True(RelativeError.Max(g.Value, rank.Gradients[g.Key]) <= 1e-5, g.Key));
        }
        Assert.Equal(ranks[0].Loss, ranks[2].Loss);   // every rank computes the same loss from the same sums
    }

    public static TheoryData<string> Blocks => ["feed-forward", "self-attention", "cross-attention", "logits", "vocabulary loss"];

    // Finite differences through a split block, every rank in lockstep: each perturbs the same element of the same
    // replicated input, so the numeric derivative is the whole block's, and the analytic one is what f's backward summed.
    [Theory]
    [MemberData(nameof(Blocks))]
    public void TheGradientOfAReplicatedInputThroughASplitBlockPassesTheGradCheck(string block)
    {
        var results = ThreadGroup.Run(2, world =>
        {
            var group = new TensorParallel(world);
            var rng = new Rng(8);
            var x = Tensor.Normal([2, 3, 8], rng).RequireGrad();
            var memory = Tensor.Normal([2, 4, 8], rng).RequireGrad();
            Func<Tensor[], Tensor> f;
            Tensor[] inputs;
            switch (block)
            {
                case "feed-forward":
                    var ff = new FeedForward(8, 12, ActivationKind.Gelu, 0f, rng);
                    ff.SplitAcross(group);
                    (f, inputs) = (t => ff.Forward(t[0]), [x, ff.Linear2.Bias!]);
                    break;
                case "self-attention":
                case "cross-attention":
                    var attention = new MultiHeadAttention(8, 4, 0f, rng);
                    attention.SplitAcross(group);
                    if (block == "self-attention")
                        (f, inputs) = (t => attention.Forward(t[0], t[0], t[0]).Output, [x, attention.OutProj.Bias!]);
                    else (f, inputs) = (t => attention.Forward(t[0], t[1], t[1]).Output, [x, memory]);
                    break;
                default:
                    var output = new Linear(8, 7, rng);
                    output.SplitOutputs(group, gather: true);   // 7 classes: 3 and 4
                    var targets = Tensor.FromArray([1, 6, 0, 3, 2, 5], 2, 3);
                    var (first, _, whole) = output.OutputShare;
                    f = block == "logits" ? t => output.Forward(t[0])
                        : t => CrossEntropy.LinearLoss(group.Enter(t[0]), output.Weight, output.Bias, targets, 5, 0.1f,
                            new VocabularyShard(first, whole, world));
                    inputs = [x];
                    break;
            }
            return GradCheck.Run(f, inputs, eps: 3e-3f);
        });
        Assert.All(results, r => Assert.True(r.Passed, r.Report));
    }

    [Fact]
    public void TwoGroupsOfTwoRanksTrainAsOneProcess()
    {
        // 4 ranks: ranks 0, 1 split one copy of the model and ranks 2, 3 another, the two copies sharing each batch.
        string root = Directory.CreateTempSubdirectory("sharpformer-tp-dp-").FullName;
        try
        {
            TrainingRunOptions Options(string name) => new()
            {
                Directory = Path.Combine(root, name), Task = "copy", Dropout = 0f,
                Training = new TrainingOptions { Steps = 12, LogEvery = 1, EvalEvery = 0, SaveEvery = 0, Seed = 3 },
            };
            TrainingRun.Start(Options("one")).Run();
            var layouts = ThreadGroup.Run(4, world =>
            {
                var (data, tensor) = ParallelLayout.Of(world, tensorParallel: 2);
                TrainingRun.Start(Options("four"), parallel: data, tensorParallel: tensor).Run();
                return (Share: data!.World.Rank, Split: tensor!.Rank);
            });
            Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], layouts);
            double[] Losses(string name) => [.. File.ReadLines(Path.Combine(root, name, MetricsLog.FileName))
                .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("loss").GetDouble())];
            var (one, four) = (Losses("one"), Losses("four"));
            Assert.Equal(12, four.Length);
            double worst = one.Zip(four, (a, b) => Math.Abs(a - b) / a).Max();
            output.WriteLine($"2 × 2 ranks (threads) against 1 process, 12 steps: losses within {worst:E2}");
            Assert.True(worst <= 1e-5, $"a loss differs by {worst:E2}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void HeadsThatDoNotDivideAreRefusedWithTheCounts()
    {
        var error = Assert.Throws<ArgumentException>(() => ThreadGroup.Run(3, world =>
            SequenceModel.Create(Config("post-norm ReLU"), new Rng(1)).SplitAcross(new TensorParallel(world))));
        Assert.Contains("4 heads and 24 units must both divide by 3", error.Message);
    }

    [Fact]
    public void ASplitModelRefusesTokenByTokenDecoding()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ThreadGroup.Run(2, world =>
        {
            var model = new Transformer(Config("post-norm ReLU"), new Rng(1));
            model.SplitAcross(new TensorParallel(world));
            model.Eval();
            Sharpformer.Generation.Greedy.Decode(model, Ids([5, 9, 3], 1, 3), 3);
        }));
        Assert.Contains("decode with the saved model", error.Message);
    }

    private sealed record PassResult(float[] Logits, float Loss, Dictionary<string, float[]> Gradients);

    // Logits, the loss and every gradient (gathered whole on a rank of a split model).
    private static PassResult Pass(SequenceModel model)
    {
        var logits = model.TeacherForcedLogits(Source, TargetInput).ToArray();
        var loss = model.TeacherForcedLoss(Source, TargetInput, TargetOutput, labelSmoothing: 0.1f);
        loss.Backward();
        var group = model.TensorParallel;
        var gradients = model.NamedParameters().ToDictionary(p => p.Name,
            p => group?.Gather(p.Value, p.Value.Grad!.AsSpan()) ?? p.Value.Grad!.ToArray());
        return new PassResult(logits, loss.Item(), gradients);
    }

    private static Tensor Ids(float[] ids, int rows, int columns) => Tensor.FromArray(ids, rows, columns);
}
