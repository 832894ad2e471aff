using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The whole decoder-only language model (embedding, sinusoidal or rotary positions, a causal stack with its final norm,
/// tied or separate output) against the same model composed from libtorch modules: logits and every gradient.
/// </summary>
public class LanguageModelParityTests
{
    const int E = 16, Heads = 2, Dff = 24, Vocab = 13, MaxLength = 16;

    public static TheoryData<int, NormPlacement, ActivationKind, bool, float?> Cases() => new()
    {
        { 1, NormPlacement.Pre, ActivationKind.Gelu, true, null },
        { 2, NormPlacement.Post, ActivationKind.Relu, false, null },
        { 3, NormPlacement.Pre, ActivationKind.Relu, true, 10000f },
        { 4, NormPlacement.Post, ActivationKind.Gelu, false, 500f },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecoderOnlyModel(int seed, NormPlacement norm, ActivationKind act, bool tied, float? rope)
    {
        using var scope = torch.NewDisposeScope();
        var config = TransformerConfig.TinyLanguageModel(Vocab) with
        {
            DModel = E, Heads = Heads, DimFeedForward = Dff, DecoderLayers = 2, Dropout = 0f, Activation = act, Norm = norm,
            MaxLength = MaxLength, TieOutput = tied,
            Positional = rope is null ? PositionalKind.Sinusoidal : PositionalKind.Rope, RopeBase = rope ?? 10000f,
        };
        var ours = new LanguageModel(config, new Rng((ulong)seed));
        Perturb(ours, seed, 0.05f);

        var embedding = torch.nn.Embedding(Vocab, E);
        var blocks = new TorchEncoderStack(Enumerable.Range(0, 2).Select(_ => new TorchEncoderLayer(E, Heads, Dff,
            preNorm: norm == NormPlacement.Pre, gelu: act == ActivationKind.Gelu, rotaryBase: rope)), torch.nn.LayerNorm(E));
        torch.nn.Module<torch.Tensor, torch.Tensor> generator = tied ? new TorchTiedGenerator(embedding) : torch.nn.Linear(E, Vocab);
        var theirs = new TorchLanguageModel(embedding, blocks, generator, rope is null ? TorchPositionalTable(MaxLength, E) : null, E);
        string Map(string name) => tied && name == "generator.weight" ? "tgt_embed.weight" : name;
        CopyWeights(ours, theirs, Map);

        int b = 3, t = 7;
        var tokens = Leaf.Ids("tokens", PaddedIds(seed, [7, 4, 2], t, Vocab), [b, t]);   // padding at the ends of rows
        var logits = ours.Forward(tokens.Ours);
        Verify($"LanguageModel {norm} {act} {(tied ? "tied" : "untied")}{(rope is null ? "" : $" RoPE {rope}")}", seed,
            [new("logits", logits, theirs.Logits(tokens.Theirs))], [tokens], ours, theirs, Map);
    }
}
