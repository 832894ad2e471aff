using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;
using DecoderLayerModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor,
    TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Encoder and decoder stacks with their final norm, and the whole Transformer (embeddings, positional
/// encoding, both stacks, generator) against libtorch: post-norm around libtorch's own nn.Transformer,
/// pre-norm around layers composed in the test. Also the parameter counts of the reference configurations.
/// </summary>
public class TransformerParityTests
{
    const int E = 16, Heads = 2, Dff = 24;

    static torch.nn.Activations TorchActivation(ActivationKind a) => a == ActivationKind.Gelu
        ? torch.nn.Activations.GELU
        : torch.nn.Activations.ReLU;

    static torch.nn.Module TorchEncoderLayerFor(NormPlacement norm, ActivationKind act) => norm == NormPlacement.Post
        ? torch.nn.TransformerEncoderLayer(E, Heads, Dff, 0.0, TorchActivation(act))
        : new TorchEncoderLayer(E, Heads, Dff, preNorm: true, gelu: act == ActivationKind.Gelu);

    static DecoderLayerModule TorchDecoderLayerFor(NormPlacement norm, ActivationKind act) => norm == NormPlacement.Post
        ? torch.nn.TransformerDecoderLayer(E, Heads, Dff, 0.0, TorchActivation(act))
        : new TorchDecoderLayer(E, Heads, Dff, preNorm: true, gelu: act == ActivationKind.Gelu);

    static Tensor IdsTensor(int[] ids, int b, int l) => Tensor.FromArray(ids.Select(i => (float)i).ToArray(), b, l);

    public static TheoryData<int, NormPlacement, ActivationKind> StackCases() => new()
    {
        { 1, NormPlacement.Post, ActivationKind.Relu },
        { 2, NormPlacement.Post, ActivationKind.Gelu },
        { 3, NormPlacement.Pre, ActivationKind.Relu },
        { 4, NormPlacement.Pre, ActivationKind.Gelu },
    };

    [Theory]
    [MemberData(nameof(StackCases))]
    public void EncoderStackWithFinalNorm(int seed, NormPlacement norm, ActivationKind act)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Rng((ulong)seed);
        var ours = new Encoder(
            Enumerable.Range(0, 3).Select(_ => new Sharpformer.NN.EncoderLayer(E, Heads, Dff, 0f, act, norm, rng)).ToList(),
            new Sharpformer.NN.LayerNorm(E));
        Perturb(ours, seed);
        var theirs = new TorchEncoderStack(Enumerable.Range(0, 3).Select(_ => TorchEncoderLayerFor(norm, act)), torch.nn.LayerNorm(E));
        CopyWeights(ours, theirs);

        int b = 3, s = 6;
        int[] ids = PaddedIds(seed, [6, 4, 2], s, 9);
        var x = Leaf.Random("x", seed, [b, s, E], -2f, 2f);
        var y = ours.Forward(x.Ours, AttentionMask.KeyPadding(IdsTensor(ids, b, s), 0));
        var expected = theirs.call(x.Theirs.transpose(0, 1), null!, TorchPadding(ids, b, s)).transpose(0, 1);
        Verify($"Encoder stack {norm} {act}", seed, [new("memory", y, expected)], [x], ours, theirs);
    }

    [Theory]
    [MemberData(nameof(StackCases))]
    public void DecoderStackWithFinalNorm(int seed, NormPlacement norm, ActivationKind act)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Rng((ulong)seed);
        var ours = new Decoder(
            Enumerable.Range(0, 3).Select(_ => new Sharpformer.NN.DecoderLayer(E, Heads, Dff, 0f, act, norm, rng)).ToList(),
            new Sharpformer.NN.LayerNorm(E));
        Perturb(ours, seed);
        var theirs = new TorchDecoderStack(Enumerable.Range(0, 3).Select(_ => TorchDecoderLayerFor(norm, act)), torch.nn.LayerNorm(E));
        CopyWeights(ours, theirs);

        int b = 2, t = 5, s = 7;
        int[] targetIds = PaddedIds(seed, [5, 3], t, 9), sourceIds = PaddedIds(seed + 1, [4, 7], s, 9);
        var x = Leaf.Random("x", seed, [b, t, E], -2f, 2f);
        var memory = Leaf.Random("memory", seed + 1, [b, s, E], -2f, 2f);
        var targetMask = AttentionMask.Combine(AttentionMask.Causal(t), AttentionMask.KeyPadding(IdsTensor(targetIds, b, t), 0));
        var y = ours.Forward(x.Ours, memory.Ours, targetMask, AttentionMask.KeyPadding(IdsTensor(sourceIds, b, s), 0));
        var expected = theirs.call(x.Theirs.transpose(0, 1), memory.Theirs.transpose(0, 1), TorchCausal(t), null!,
            TorchPadding(targetIds, b, t), TorchPadding(sourceIds, b, s)).transpose(0, 1);
        Verify($"Decoder stack {norm} {act}", seed, [new("y", y, expected)], [x, memory], ours, theirs);
    }

    /// <summary>Without a final norm, Sharpformer's stacks equal libtorch's own TransformerEncoder / TransformerDecoder.</summary>
    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void StacksWithoutFinalNormMatchLibtorchStacks(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Rng((ulong)seed);
        var encoder = new Encoder(Enumerable.Range(0, 2).Select(_ =>
            new Sharpformer.NN.EncoderLayer(E, Heads, Dff, 0f, ActivationKind.Relu, NormPlacement.Post, rng)).ToList(), null);
        var decoder = new Decoder(Enumerable.Range(0, 2).Select(_ =>
            new Sharpformer.NN.DecoderLayer(E, Heads, Dff, 0f, ActivationKind.Relu, NormPlacement.Post, rng)).ToList(), null);
        Perturb(encoder, seed);
        Perturb(decoder, seed + 1);
        var torchEncoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, Heads, Dff, 0.0), 2);
        var torchDecoder = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, Heads, Dff, 0.0), 2);
        CopyWeights(encoder, torchEncoder);
        CopyWeights(decoder, torchDecoder);

        int b = 2, s = 5, t = 4;
        int[] sourceIds = PaddedIds(seed, [5, 3], s, 9);
        var x = Leaf.Random("src", seed, [b, s, E], -2f, 2f);
        var memory = encoder.Forward(x.Ours, AttentionMask.KeyPadding(IdsTensor(sourceIds, b, s), 0));
        var torchMemory = torchEncoder.call(x.Theirs.transpose(0, 1), null!, TorchPadding(sourceIds, b, s));
        Verify($"libtorch TransformerEncoder seed {seed}", seed, [new("memory", memory, torchMemory.transpose(0, 1))], [x],
            encoder, torchEncoder);

        var y = Leaf.Random("tgt", seed + 2, [b, t, E], -2f, 2f);
        var m = Leaf.Random("memory", seed + 3, [b, s, E], -2f, 2f);
        var output = decoder.Forward(y.Ours, m.Ours, AttentionMask.Causal(t), AttentionMask.KeyPadding(IdsTensor(sourceIds, b, s), 0));
        var torchOutput = torchDecoder.call(y.Theirs.transpose(0, 1), m.Theirs.transpose(0, 1), TorchCausal(t), null!, null!,
            TorchPadding(sourceIds, b, s));
        Verify($"libtorch TransformerDecoder seed {seed}", seed, [new("output", output, torchOutput.transpose(0, 1))], [y, m],
            decoder, torchDecoder);
    }

    public enum Embeddings { Shared, Separate, SharedAndTiedOutput }

    public static TheoryData<int, NormPlacement, ActivationKind, Embeddings, float?> ModelCases() => new()
    {
        { 1, NormPlacement.Post, ActivationKind.Relu, Embeddings.Shared, null },
        { 2, NormPlacement.Post, ActivationKind.Gelu, Embeddings.Separate, null },
        { 3, NormPlacement.Post, ActivationKind.Relu, Embeddings.SharedAndTiedOutput, null },
        { 4, NormPlacement.Pre, ActivationKind.Relu, Embeddings.Shared, null },
        { 5, NormPlacement.Pre, ActivationKind.Gelu, Embeddings.Separate, null },
        { 6, NormPlacement.Pre, ActivationKind.Gelu, Embeddings.SharedAndTiedOutput, null },
        { 7, NormPlacement.Post, ActivationKind.Relu, Embeddings.Shared, null },
        // Rotary positions (RoPE) in both stacks' self-attention, none added to the embeddings.
        { 8, NormPlacement.Pre, ActivationKind.Relu, Embeddings.SharedAndTiedOutput, 10000f },
        { 9, NormPlacement.Post, ActivationKind.Gelu, Embeddings.Separate, 500f },
    };

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void FullModel(int seed, NormPlacement norm, ActivationKind act, Embeddings embeddings, float? rope)
    {
        using var scope = torch.NewDisposeScope();
        int sourceVocab = 11, targetVocab = embeddings == Embeddings.Separate ? 13 : 11;
        var config = new TransformerConfig
        {
            SourceVocab = sourceVocab, TargetVocab = targetVocab, DModel = E, Heads = Heads, DimFeedForward = Dff,
            EncoderLayers = 2, DecoderLayers = 2, Dropout = 0f, Activation = act, Norm = norm, MaxLength = 16,
            ShareEmbeddings = embeddings != Embeddings.Separate, TieOutput = embeddings == Embeddings.SharedAndTiedOutput,
            Positional = rope is null ? PositionalKind.Sinusoidal : PositionalKind.Rope, RopeBase = rope ?? 10000f,
        };
        var ours = new Sharpformer.NN.Transformer(config, new Rng((ulong)seed));
        Perturb(ours, seed, 0.05f);

        var srcEmbed = torch.nn.Embedding(sourceVocab, E);
        var tgtEmbed = embeddings == Embeddings.Separate ? torch.nn.Embedding(targetVocab, E) : null;
        torch.nn.Module core;
        TorchCore run;
        if (norm == NormPlacement.Post && rope is null)
        {
            var native = torch.nn.Transformer(E, Heads, 2, 2, Dff, 0.0, TorchActivation(act));
            (core, run) = (native, (src, tgt, tm, sp, tp) => native.call(src, tgt, null!, tm, null!, sp, tp, sp));
        }
        else
        {
            bool pre = norm == NormPlacement.Pre, gelu = act == ActivationKind.Gelu;
            var composed = new TorchEncoderDecoder(
                new TorchEncoderStack(Enumerable.Range(0, 2).Select(_ => new TorchEncoderLayer(E, Heads, Dff, pre, gelu, rotaryBase: rope)),
                    torch.nn.LayerNorm(E)),
                new TorchDecoderStack(Enumerable.Range(0, 2).Select(_ => new TorchDecoderLayer(E, Heads, Dff, pre, gelu, rotaryBase: rope)),
                    torch.nn.LayerNorm(E)));
            (core, run) = (composed, composed.Run);
        }
        torch.nn.Module<TorchTensor, TorchTensor> generator = embeddings == Embeddings.SharedAndTiedOutput
            ? new TorchTiedGenerator(srcEmbed)
            : torch.nn.Linear(E, targetVocab);
        var theirs = new TorchSeq2Seq(srcEmbed, tgtEmbed, core, run, generator, rope is null ? TorchPositionalTable(16, E) : null, E);
        string Map(string name) => name switch
        {
            "tgt_embed.weight" when embeddings != Embeddings.Separate => "src_embed.weight",
            "generator.weight" when embeddings == Embeddings.SharedAndTiedOutput => "src_embed.weight",
            _ => name,
        };
        CopyWeights(ours, theirs, Map);

        int b = 3, s = 7, t = 5;
        int[] sourceIds = PaddedIds(seed, [7, 5, 3], s, sourceVocab), targetIds = PaddedIds(seed + 1, [4, 5, 2], t, targetVocab);
        var src = Leaf.Ids("src", sourceIds, [b, s]);
        var tgt = Leaf.Ids("tgt", targetIds, [b, t]);
        var logits = ours.Forward(src.Ours, tgt.Ours);
        var expected = theirs.Logits(src.Theirs, tgt.Theirs);
        // Two stacks deep, float32 against float64: the largest scaled errors measured are about 4e-7 (logits) and
        // 1.5e-6 (parameter gradients), so the default 1e-5 holds.
        Verify($"Transformer {norm} {act} {embeddings}{(rope is null ? "" : $" RoPE {rope}")}", seed, [new("logits", logits, expected)],
            [src, tgt], ours, theirs, Map);
    }

    /// <summary>
    /// The attention weights a forward pass exposes (for pictures): one [B, H, T_query, T_key] tensor per layer
    /// and attention, rows summing to 1, zero on padded keys and on future target positions, and the logits
    /// unchanged by asking for them.
    /// </summary>
    [Fact]
    public void ForwardWithAttentionExposesMaskedWeights()
    {
        var config = new TransformerConfig { SourceVocab = 11, TargetVocab = 11, DModel = E, Heads = Heads, DimFeedForward = Dff,
            EncoderLayers = 2, DecoderLayers = 3, Dropout = 0f, MaxLength = 16 };
        var model = new Sharpformer.NN.Transformer(config, new Rng(3));
        int b = 2, s = 6, t = 4;
        int[] sourceIds = PaddedIds(1, [6, 3], s, 11), targetIds = PaddedIds(2, [4, 2], t, 11);
        var src = IdsTensor(sourceIds, b, s);
        var tgt = IdsTensor(targetIds, b, t);
        var (logits, attention) = model.ForwardWithAttention(src, tgt);
        // The weights come from the op that stores them, the plain forward from the tiled one: equal up to rounding.
        float[] plain = model.Forward(src, tgt).ToArray(), withWeights = logits.ToArray();
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], withWeights[i], 1e-5f);
        Assert.Equal(2, attention.Encoder.Count);
        Assert.Equal(3, attention.Decoder.Count);

        void Check(Tensor? w, int queries, int keys, int[] keyIds, bool causal)
        {
            Assert.NotNull(w);
            Assert.Equal([b, Heads, queries, keys], w!.ShapeArray());
            float[] v = w.ToArray();
            for (int n = 0; n < b; n++)
                for (int h = 0; h < Heads; h++)
                    for (int i = 0; i < queries; i++)
                    {
                        double sum = 0;
                        for (int j = 0; j < keys; j++)
                        {
                            float x = v[((n * Heads + h) * queries + i) * keys + j];
                            if (keyIds[n * keys + j] == 0 || (causal && j > i)) Assert.Equal(0f, x);
                            sum += x;
                        }
                        Assert.Equal(1.0, sum, 5);
                    }
        }
        foreach (var w in attention.Encoder) Check(w, s, s, sourceIds, causal: false);
        foreach (var d in attention.Decoder)
        {
            Check(d.SelfAttention, t, t, targetIds, causal: true);
            Check(d.CrossAttention, t, s, sourceIds, causal: false);
        }
    }

    /// <summary>
    /// The reference sizes (`TransformerConfig.Small`, `Big` and `Base`), in Sharpformer and in the equivalent torch
    /// model (which has the same names and shapes).
    /// </summary>
    [Theory]
    [InlineData("big", 9_634_624L)]
    [InlineData("small", 1_183_208L)]
    public void ParameterCounts(string name, long expected)
    {
        using var scope = torch.NewDisposeScope();
        var config = name == "big" ? TransformerConfig.Big() : TransformerConfig.Small();
        var ours = new Sharpformer.NN.Transformer(config, new Rng(1));
        Assert.Equal(expected, ours.ParameterCount());

        var theirs = new TorchSeq2Seq(
            torch.nn.Embedding(config.SourceVocab, config.DModel), null,
            torch.nn.Transformer(config.DModel, config.Heads, config.EncoderLayers, config.DecoderLayers, config.DimFeedForward, 0.1),
            (_, _, _, _, _) => throw new NotSupportedException(),
            torch.nn.Linear(config.DModel, config.TargetVocab), torch.zeros(1), config.DModel);
        var torchParameters = TorchParameters(theirs);
        Assert.Equal(expected, torchParameters.Values.Sum(p => p.numel()));

        // The same names (a shared embedding once, under src_embed) with the same shapes.
        var ourShapes = ours.NamedParameters().ToDictionary(p => p.Name, p => Shapes.Format(p.Value.Shape));
        var torchShapes = torchParameters.ToDictionary(p => p.Key, p => Shapes.Format(ShapeOf(p.Value)));
        Assert.Equal(torchShapes.OrderBy(p => p.Key), ourShapes.OrderBy(p => p.Key));
        Assert.Contains("tgt_embed.weight", ours.StateDict().Select(p => p.Key));
    }
}
