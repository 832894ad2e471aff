using System.Buffers.Binary;
using System.Text.Json;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchModule = TorchSharp.torch.nn.Module;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Checkpoint interoperability (issue 3): a Sharpformer model saved with
/// <see cref="ModelDirectory.Save(Sharpformer.NN.SequenceModel, string)"/>
/// loads into the equivalent libtorch model through TorchSharp.PyBridge's safetensors loader and gives the
/// same logits, and a file written by PyBridge from the libtorch model loads into Sharpformer through
/// <see cref="ModelDirectory.LoadWeights"/> with the same logits. Both models start from different random
/// weights, so equal logits and equal parameters show that every tensor travelled through the file.
/// </summary>
public sealed class CheckpointParityTests(ITestOutputHelper output) : IDisposable
{
    const int D = 16, Heads = 2, Dff = 24, Layers = 2, MaxLength = 16, Vocab = 23, SeparateTargetVocab = 19;
    const int Batch = 3, SourceLength = 7, TargetLength = 6;

    readonly string _dir = Directory.CreateTempSubdirectory("sf-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public enum Sharing { Shared, Separate, SharedAndTied }

    public static TheoryData<int, Sharing, NormPlacement, ActivationKind> Cases() => new()
    {
        { 1, Sharing.Shared, NormPlacement.Post, ActivationKind.Relu },
        { 2, Sharing.Separate, NormPlacement.Post, ActivationKind.Relu },
        { 3, Sharing.SharedAndTied, NormPlacement.Post, ActivationKind.Relu },
        { 4, Sharing.Separate, NormPlacement.Pre, ActivationKind.Gelu },
    };

    // ---- Sharpformer → safetensors → libtorch ------------------------------------------------------

    [Theory]
    [MemberData(nameof(Cases))]
    public void SharpformerCheckpointLoadsIntoTorch(int seed, Sharing sharing, NormPlacement norm, ActivationKind act)
    {
        using var scope = torch.NewDisposeScope();
        var config = Config(sharing, norm, act);
        var ours = new Sharpformer.NN.Transformer(config, new Rng((ulong)seed));
        Perturb(ours, seed, 0.05f);
        ours.Eval();
        ModelDirectory.Save(ours, _dir);
        string file = Path.Combine(_dir, ModelDirectory.WeightsFile);

        // The file holds each tensor once, under torch.nn.Transformer's names.
        var fileNames = HeaderNames(file);
        Assert.Equal(ExpectedNames(sharing).Order(StringComparer.Ordinal), fileNames.Order(StringComparer.Ordinal));
        Assert.Equal(fileNames.Count, fileNames.Distinct().Count());
        Assert.Equal(ours.NamedParameters().Select(p => p.Name), fileNames);

        var theirs = BuildTorch(config, seed + 100);
        Assert.Equal(fileNames.Order(StringComparer.Ordinal), TorchState(theirs).Keys.Order(StringComparer.Ordinal));
        AssertEveryTensorDiffers(ours, theirs, "before loading");

        var loaded = new Dictionary<string, bool>();
        theirs.load_safetensors(file, strict: true, loadedParameters: loaded);
        Assert.Equal(fileNames.Order(StringComparer.Ordinal),
            loaded.Where(kv => kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal));
        AssertSameParameters(ours, theirs, "after torch loaded the Sharpformer file");

        CompareLogits($"Sharpformer → file → torch, {sharing} {norm} {act}", seed, ours, theirs, config);
    }

    // ---- libtorch → safetensors → Sharpformer ------------------------------------------------------

    [Theory]
    [MemberData(nameof(Cases))]
    public void TorchCheckpointLoadsIntoSharpformer(int seed, Sharing sharing, NormPlacement norm, ActivationKind act)
    {
        using var scope = torch.NewDisposeScope();
        var config = Config(sharing, norm, act);
        var theirs = BuildTorch(config, seed + 200);
        string file = Path.Combine(_dir, "torch.safetensors");
        theirs.save_safetensors(file);
        Assert.Equal(ExpectedNames(sharing).Order(StringComparer.Ordinal), HeaderNames(file).Order(StringComparer.Ordinal));

        var ours = new Sharpformer.NN.Transformer(config, new Rng((ulong)seed + 300));
        Perturb(ours, seed + 300, 0.05f);
        ours.Eval();
        AssertEveryTensorDiffers(ours, theirs, "before loading");
        ModelDirectory.LoadWeights(ours, file);
        AssertSameParameters(ours, theirs, "after Sharpformer loaded the torch file");

        CompareLogits($"torch → file → Sharpformer, {sharing} {norm} {act}", seed, ours, theirs, config);
    }

    /// <summary>
    /// A file that stores a shared tensor under every one of its names (as a torch module that registers
    /// the shared embedding twice, and the tied output weight as a parameter of the generator, writes it)
    /// loads too: each name holds the same values.
    /// </summary>
    [Theory]
    [InlineData(5, Sharing.Shared)]
    [InlineData(6, Sharing.SharedAndTied)]
    public void FileWithSharedTensorUnderEveryNameLoadsIntoSharpformer(int seed, Sharing sharing)
    {
        using var scope = torch.NewDisposeScope();
        var config = Config(sharing, NormPlacement.Post, ActivationKind.Relu);
        var theirs = BuildTorch(config, seed + 200, aliasSharedNames: true);
        string file = Path.Combine(_dir, "aliased.safetensors");
        theirs.save_safetensors(file);
        var names = HeaderNames(file);
        Assert.Contains("src_embed.weight", names);
        Assert.Contains("tgt_embed.weight", names);
        Assert.Contains("generator.weight", names);

        var ours = new Sharpformer.NN.Transformer(config, new Rng((ulong)seed + 300));
        Perturb(ours, seed + 300, 0.05f);
        ours.Eval();
        ModelDirectory.LoadWeights(ours, file);
        AssertSameParameters(ours, theirs, "after Sharpformer loaded the aliased torch file");
        CompareLogits($"aliased torch file → Sharpformer, {sharing}", seed, ours, theirs, config);
    }

    // ---- files that do not fit -----------------------------------------------------------------------

    [Fact]
    public void MissingTensorIsInvalidDataNamingIt()
    {
        using var scope = torch.NewDisposeScope();
        var config = Config(Sharing.Shared, NormPlacement.Post, ActivationKind.Relu);
        const string dropped = "transformer.decoder.layers.1.linear2.bias";
        string file = Path.Combine(_dir, "missing.safetensors");
        BuildTorch(config, 7).save_safetensors(file, skip: [dropped]);
        Assert.DoesNotContain(dropped, HeaderNames(file));

        var ours = new Sharpformer.NN.Transformer(config, new Rng(7));
        var e = Assert.Throws<InvalidFileException>(() => ModelDirectory.LoadWeights(ours, file));
        output.WriteLine(e.Message);
        Assert.Contains(dropped, e.Message);
    }

    [Fact]
    public void WrongShapeIsInvalidDataNamingIt()
    {
        using var scope = torch.NewDisposeScope();
        // Same architecture but a target vocabulary of 19 against 21: tgt_embed.weight is the first tensor that does not fit.
        var written = Config(Sharing.Separate, NormPlacement.Post, ActivationKind.Relu);
        var expected = written with { TargetVocab = SeparateTargetVocab + 2 };
        string file = Path.Combine(_dir, "shape.safetensors");
        BuildTorch(written, 8).save_safetensors(file);

        var ours = new Sharpformer.NN.Transformer(expected, new Rng(8));
        var e = Assert.Throws<InvalidFileException>(() => ModelDirectory.LoadWeights(ours, file));
        output.WriteLine(e.Message);
        Assert.Contains("tgt_embed.weight", e.Message);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void UnexpectedTensorIsInvalidDataNamingIt()
    {
        using var scope = torch.NewDisposeScope();
        // The torch model gets one parameter that Sharpformer's model does not have.
        var config = Config(Sharing.Shared, NormPlacement.Post, ActivationKind.Relu);
        var theirs = BuildTorch(config, 9);
        theirs.register_parameter("extra_scale", torch.nn.Parameter(torch.ones(3)));
        string file = Path.Combine(_dir, "extra.safetensors");
        theirs.save_safetensors(file);
        Assert.Contains("extra_scale", HeaderNames(file));

        var ours = new Sharpformer.NN.Transformer(config, new Rng(9));
        var e = Assert.Throws<InvalidFileException>(() => ModelDirectory.LoadWeights(ours, file));
        output.WriteLine(e.Message);
        Assert.Contains("extra_scale", e.Message);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    static TransformerConfig Config(Sharing sharing, NormPlacement norm, ActivationKind act) => new()
    {
        SourceVocab = Vocab, TargetVocab = sharing == Sharing.Separate ? SeparateTargetVocab : Vocab,
        DModel = D, Heads = Heads, DimFeedForward = Dff, EncoderLayers = Layers, DecoderLayers = Layers,
        Dropout = 0f, Activation = act, Norm = norm, MaxLength = MaxLength,
        ShareEmbeddings = sharing != Sharing.Separate, TieOutput = sharing == Sharing.SharedAndTied,
    };

    /// <summary>The names a checkpoint of this model holds, written out from torch.nn.Transformer's layout.</summary>
    static List<string> ExpectedNames(Sharing sharing)
    {
        string[] Attention(string prefix) =>
            [$"{prefix}.in_proj_weight", $"{prefix}.in_proj_bias", $"{prefix}.out_proj.weight", $"{prefix}.out_proj.bias"];
        string[] WeightAndBias(string prefix) => [$"{prefix}.weight", $"{prefix}.bias"];

        var names = new List<string> { "src_embed.weight" };
        if (sharing == Sharing.Separate) names.Add("tgt_embed.weight");
        for (int i = 0; i < Layers; i++)
        {
            string p = $"transformer.encoder.layers.{i}";
            names.AddRange(Attention($"{p}.self_attn"));
            foreach (string m in new[] { "linear1", "linear2", "norm1", "norm2" }) names.AddRange(WeightAndBias($"{p}.{m}"));
        }
        names.AddRange(WeightAndBias("transformer.encoder.norm"));
        for (int i = 0; i < Layers; i++)
        {
            string p = $"transformer.decoder.layers.{i}";
            names.AddRange(Attention($"{p}.self_attn"));
            names.AddRange(Attention($"{p}.multihead_attn"));
            foreach (string m in new[] { "linear1", "linear2", "norm1", "norm2", "norm3" }) names.AddRange(WeightAndBias($"{p}.{m}"));
        }
        names.AddRange(WeightAndBias("transformer.decoder.norm"));
        if (sharing != Sharing.SharedAndTied) names.Add("generator.weight");
        names.Add("generator.bias");
        return names;
    }

    /// <summary>
    /// The libtorch model of <paramref name="config"/> (float32), with every parameter randomized from
    /// <paramref name="seed"/>: libtorch's nn.Transformer for post-norm, composed layers for pre-norm. With
    /// <paramref name="aliasSharedNames"/>, a shared embedding is registered as tgt_embed too and a tied
    /// output weight as generator.weight, so the state dict lists a shared tensor under every name.
    /// </summary>
    static TorchSeq2Seq BuildTorch(TransformerConfig config, int seed, bool aliasSharedNames = false)
    {
        torch.manual_seed(seed);
        var activation = config.Activation == ActivationKind.Gelu ? torch.nn.Activations.GELU : torch.nn.Activations.ReLU;
        bool gelu = config.Activation == ActivationKind.Gelu;
        var srcEmbed = torch.nn.Embedding(config.SourceVocab, D);
        var tgtEmbed = config.ShareEmbeddings ? (aliasSharedNames ? srcEmbed : null) : torch.nn.Embedding(config.TargetVocab, D);
        TorchModule core;
        TorchCore run;
        if (config.Norm == NormPlacement.Post)
        {
            var native = torch.nn.Transformer(D, Heads, Layers, Layers, Dff, 0.0, activation);
            (core, run) = (native, (src, tgt, tm, sp, tp) => native.call(src, tgt, null!, tm, null!, sp, tp, sp));
        }
        else
        {
            var composed = new TorchPreNormCore(D, Heads, Dff, Layers, gelu);
            (core, run) = (composed, composed.Run);
        }
        torch.nn.Module<TorchTensor, TorchTensor> generator = !config.TieOutput
            ? torch.nn.Linear(D, config.TargetVocab)
            : aliasSharedNames ? new TorchAliasedTiedGenerator(srcEmbed) : new TorchTiedGenerator(srcEmbed);
        var model = new TorchSeq2Seq(srcEmbed, tgtEmbed, core, run, generator, TorchPositionalTable(MaxLength, D), D);
        using (torch.no_grad())
            foreach (var (_, p) in model.named_parameters())
                p.add_(torch.rand_like(p) * 0.4 - 0.2); // unit gains and zero biases become generic values
        model.eval();
        return model;
    }

    /// <summary>The torch model's state dict (every name, aliases included).</summary>
    static Dictionary<string, TorchTensor> TorchState(TorchModule module) => new(module.state_dict());

    /// <summary>Before loading: no Sharpformer tensor equals its torch counterpart, so a copy that did not happen shows.</summary>
    static void AssertEveryTensorDiffers(Sharpformer.NN.Transformer ours, TorchModule theirs, string when)
    {
        var state = TorchState(theirs);
        foreach (var (name, value) in ours.NamedParameters())
            Assert.False(ToFloats(state[name]).SequenceEqual(value.ToArray()), $"{when}: '{name}' is already equal on both sides");
    }

    /// <summary>
    /// Every name of either side (Sharpformer's state dict with its aliases, torch's state dict) holds the
    /// same float32 values, bit for bit, on the other side. A Sharpformer alias maps to the torch name the
    /// shared tensor has there.
    /// </summary>
    static void AssertSameParameters(Sharpformer.NN.Transformer ours, TorchModule theirs, string when)
    {
        var state = TorchState(theirs);
        var oursByName = ours.StateDict().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, value) in oursByName)
        {
            string torchName = state.ContainsKey(name) ? name : ours.NamedParameters().First(p => ReferenceEquals(p.Value, value)).Name;
            Assert.True(state.TryGetValue(torchName, out var t), $"{when}: torch has no '{torchName}'");
            Assert.Equal(value.ShapeArray(), ShapeOf(t!));
            Assert.True(ToFloats(t!).SequenceEqual(value.ToArray()), $"{when}: '{name}' differs (torch '{torchName}')");
        }
        foreach (var name in state.Keys)
            Assert.True(oursByName.ContainsKey(name), $"{when}: torch's '{name}' has no Sharpformer counterpart");
    }

    /// <summary>Runs both models on one padded batch (eval mode; torch in float64) and compares logits to 1e-5.</summary>
    void CompareLogits(string what, int seed, Sharpformer.NN.Transformer ours, TorchSeq2Seq theirs, TransformerConfig config)
    {
        int[] sourceIds = PaddedIds(seed, [SourceLength, 4, 2], SourceLength, config.SourceVocab);
        int[] targetIds = PaddedIds(seed + 1, [TargetLength, 5, 3], TargetLength, config.TargetVocab);
        var logits = ours.Forward(
            Tensor.FromArray(sourceIds.Select(i => (float)i).ToArray(), Batch, SourceLength),
            Tensor.FromArray(targetIds.Select(i => (float)i).ToArray(), Batch, TargetLength));

        theirs.to(torch.ScalarType.Float64);
        TorchTensor expected;
        using (torch.no_grad())
            expected = theirs.Logits(ToTorch(sourceIds.Select(i => (long)i).ToArray(), [Batch, SourceLength]),
                ToTorch(targetIds.Select(i => (long)i).ToArray(), [Batch, TargetLength]));

        Assert.Equal(new[] { Batch, TargetLength, config.TargetVocab }, logits.ShapeArray());
        double[] want = ToDoubles(expected);
        float[] got = logits.ToArray();
        double maxAbs = 0, maxRel = 0, scale = want.Max(Math.Abs);
        for (int i = 0; i < want.Length; i++)
        {
            double err = Math.Abs(got[i] - want[i]);
            maxAbs = Math.Max(maxAbs, err);
            maxRel = Math.Max(maxRel, err / Math.Max(1e-3, Math.Abs(want[i])));
        }
        output.WriteLine($"{what}: max |Δlogit| = {maxAbs:G3} (max |logit| {scale:G3}), max relative {maxRel:G3}");
        OpParity.AssertScaledClose(expected, got, logits.ShapeArray(), 1e-5, 1e-5, what);
    }

    /// <summary>
    /// The tensor names of a safetensors file in header order, read with a parser of the test's own
    /// (not Sharpformer's reader).
    /// </summary>
    static List<string> HeaderNames(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        Assert.InRange(length, 2UL, (ulong)(stream.Length - 8));
        var json = new byte[length];
        stream.ReadExactly(json);
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__")];
    }
}

/// <summary>
/// A tied output projection that registers the embedding's weight as its own "weight" (so torch's state dict
/// lists it as generator.weight too).
/// </summary>
public sealed class TorchAliasedTiedGenerator : torch.nn.Module<TorchTensor, TorchTensor>
{
    /// <summary>Shares <paramref name="embedding"/>'s weight; the bias is its own.</summary>
    public TorchAliasedTiedGenerator(TorchSharp.Modules.Embedding embedding) : base(nameof(TorchAliasedTiedGenerator))
    {
        register_parameter("weight", embedding.weight!);
        register_parameter("bias", torch.nn.Parameter(torch.zeros(embedding.weight!.shape[0])));
    }

    /// <summary>x: [..., d] → [..., V], with the parameters as registered now (a dtype change replaces them).</summary>
    public override TorchTensor forward(TorchTensor x) =>
        torch.nn.functional.linear(x, get_parameter("weight")!, get_parameter("bias")!);
}

/// <summary>
/// The pre-norm encoder-decoder from the composed layers, for checkpoints. With the stacks of TorchComposed.cs
/// (modules kept in _-prefixed fields) TorchSharp's state_dict listed every stack parameter a second time under
/// the field names (transformer._encoder._layers.0...), which strict loading and saving both take as real
/// names; here each field is named as its module is registered (encoder, decoder, layers, norm).
/// </summary>
public sealed class TorchPreNormCore : torch.nn.Module
{
    private readonly TorchPreNormEncoder encoder;
    private readonly TorchPreNormDecoder decoder;

    /// <summary><paramref name="layers"/> pre-norm layers a side, each with a final LayerNorm.</summary>
    public TorchPreNormCore(long d, long heads, long dff, int layers, bool gelu) : base(nameof(TorchPreNormCore))
    {
        encoder = new TorchPreNormEncoder(
            Enumerable.Range(0, layers).Select(_ => new TorchEncoderLayer(d, heads, dff, preNorm: true, gelu)), d);
        decoder = new TorchPreNormDecoder(
            Enumerable.Range(0, layers).Select(_ => new TorchDecoderLayer(d, heads, dff, preNorm: true, gelu)), d);
        RegisterComponents();
    }

    /// <summary>As <see cref="TorchCore"/>: source padding masks encoder self-attention and cross-attention.</summary>
    public TorchTensor Run(TorchTensor src, TorchTensor tgt, TorchTensor targetMask, TorchTensor sourcePadding,
        TorchTensor targetPadding) =>
        decoder.call(tgt, encoder.call(src, sourcePadding), targetMask, sourcePadding, targetPadding);
}

/// <summary>Pre-norm encoder layers and the final norm: layers.N.*, norm.*.</summary>
public sealed class TorchPreNormEncoder : torch.nn.Module<TorchTensor, TorchTensor, TorchTensor>
{
    private readonly TorchSharp.Modules.ModuleList<TorchEncoderLayer> layers;
    private readonly TorchSharp.Modules.LayerNorm norm;

    /// <summary>Stacks <paramref name="stack"/> and adds a LayerNorm of width <paramref name="d"/>.</summary>
    public TorchPreNormEncoder(IEnumerable<TorchEncoderLayer> stack, long d) : base(nameof(TorchPreNormEncoder))
    {
        layers = torch.nn.ModuleList(stack.ToArray());
        norm = torch.nn.LayerNorm(d);
        RegisterComponents();
    }

    /// <summary>x: [S, B, E], padding: bool [B, S] → [S, B, E].</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor padding)
    {
        foreach (var layer in layers) x = layer.call(x, null!, padding);
        return norm.call(x);
    }
}

/// <summary>Pre-norm decoder layers and the final norm: layers.N.*, norm.*.</summary>
public sealed class TorchPreNormDecoder : torch.nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor>
{
    private readonly TorchSharp.Modules.ModuleList<TorchDecoderLayer> layers;
    private readonly TorchSharp.Modules.LayerNorm norm;

    /// <summary>Stacks <paramref name="stack"/> and adds a LayerNorm of width <paramref name="d"/>.</summary>
    public TorchPreNormDecoder(IEnumerable<TorchDecoderLayer> stack, long d) : base(nameof(TorchPreNormDecoder))
    {
        layers = torch.nn.ModuleList(stack.ToArray());
        norm = torch.nn.LayerNorm(d);
        RegisterComponents();
    }

    /// <summary>x: [T, B, E], memory: [S, B, E], the causal mask and both paddings → [T, B, E].</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor memory, TorchTensor targetMask, TorchTensor memoryPadding,
        TorchTensor targetPadding)
    {
        foreach (var layer in layers) x = layer.call(x, memory, targetMask, null!, targetPadding, memoryPadding);
        return norm.call(x);
    }
}
