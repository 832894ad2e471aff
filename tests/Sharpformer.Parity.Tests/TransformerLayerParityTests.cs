using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// EncoderLayer and DecoderLayer against libtorch: post-norm against its own TransformerEncoderLayer /
/// TransformerDecoderLayer (sequence-first, so inputs are transposed), pre-norm against the same layer
/// composed in the test from libtorch's MultiheadAttention, Linear and LayerNorm.
/// </summary>
public class TransformerLayerParityTests
{
    const int E = 16, Dff = 24;

    public static TheoryData<int, NormPlacement, ActivationKind, int> Cases()
    {
        var data = new TheoryData<int, NormPlacement, ActivationKind, int>();
        int seed = 1;
        foreach (var norm in new[] { NormPlacement.Post, NormPlacement.Pre })
            foreach (var act in new[] { ActivationKind.Relu, ActivationKind.Gelu })
                foreach (int masks in new[] { 0, 1, 2 }) // 0: none, 1: padding, 2: causal and padding
                    data.Add(seed++, norm, act, masks);
        return data;
    }

    /// <summary>
    /// Masks for a batch of sequences of length <paramref name="length"/>: Sharpformer's combined mask and
    /// torch's (float attn_mask, bool key_padding_mask). Row 0 is never padded, and position 0 never is.
    /// </summary>
    static (AttentionMask? Ours, TorchTensor? Causal, TorchTensor? Padding) Masks(int seed, int batch, int length, bool causal,
        bool padding)
    {
        AttentionMask? ours = null;
        TorchTensor? torchCausal = null, torchPadding = null;
        if (causal)
        {
            ours = AttentionMask.Causal(length);
            torchCausal = TorchCausal(length);
        }
        if (padding)
        {
            var rng = new Random(seed);
            int[] lengths = Enumerable.Range(0, batch).Select(i => i == 0 ? length : rng.Next(1, length)).ToArray();
            int[] ids = PaddedIds(seed, lengths, length, 9);
            ours = AttentionMask.Combine(ours,
                AttentionMask.KeyPadding(Tensor.FromArray(ids.Select(i => (float)i).ToArray(), batch, length), 0));
            torchPadding = TorchPadding(ids, batch, length);
        }
        return (ours, torchCausal, torchPadding);
    }

    static torch.nn.Activations TorchActivation(ActivationKind a) => a == ActivationKind.Gelu
        ? torch.nn.Activations.GELU
        : torch.nn.Activations.ReLU;

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncoderLayer(int seed, NormPlacement norm, ActivationKind activation, int masks)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int heads = seed % 2 == 0 ? 2 : 4, b = rng.Next(2, 4), s = rng.Next(3, 8);
        var ours = new Sharpformer.NN.EncoderLayer(E, heads, Dff, 0f, activation, norm, new Rng((ulong)seed));
        Perturb(ours, seed);
        torch.nn.Module theirs = norm == NormPlacement.Post
            ? torch.nn.TransformerEncoderLayer(E, heads, Dff, 0.0, TorchActivation(activation))
            : new TorchEncoderLayer(E, heads, Dff, preNorm: true, gelu: activation == ActivationKind.Gelu);
        CopyWeights(ours, theirs);

        var (mask, causal, padding) = Masks(seed, b, s, causal: masks == 2, padding: masks >= 1);
        var x = Leaf.Random("x", seed, [b, s, E], -2f, 2f);
        var (y, _) = ours.Forward(x.Ours, mask);
        var expected = TorchEncoderStack.CallEncoderLayer(theirs, x.Theirs.transpose(0, 1), causal!, padding!).transpose(0, 1);
        Verify($"EncoderLayer {norm} {activation} masks {masks} heads {heads} B{b} S{s}", seed, [new("y", y, expected)], [x], ours, theirs);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecoderLayer(int seed, NormPlacement norm, ActivationKind activation, int masks)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int heads = seed % 2 == 0 ? 4 : 2, b = rng.Next(2, 4), t = rng.Next(3, 8), s = rng.Next(3, 8);
        var ours = new Sharpformer.NN.DecoderLayer(E, heads, Dff, 0f, activation, norm, new Rng((ulong)seed));
        Perturb(ours, seed);
        torch.nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor> theirs =
            norm == NormPlacement.Post
                ? torch.nn.TransformerDecoderLayer(E, heads, Dff, 0.0, TorchActivation(activation))
                : new TorchDecoderLayer(E, heads, Dff, preNorm: true, gelu: activation == ActivationKind.Gelu);
        CopyWeights(ours, theirs);

        // masks 0: causal only; 1: causal and source padding on the cross-attention; 2: also target padding.
        var (targetMask, causal, targetPadding) = Masks(seed, b, t, causal: true, padding: masks == 2);
        var (memoryMask, _, memoryPadding) = Masks(seed + 1000, b, s, causal: false, padding: masks >= 1);
        var x = Leaf.Random("x", seed, [b, t, E], -2f, 2f);
        var memory = Leaf.Random("memory", seed + 500, [b, s, E], -2f, 2f);
        var (y, _) = ours.Forward(x.Ours, memory.Ours, targetMask, memoryMask);
        var expected = theirs.call(x.Theirs.transpose(0, 1), memory.Theirs.transpose(0, 1), causal!, null!, targetPadding!,
            memoryPadding!).transpose(0, 1);
        Verify($"DecoderLayer {norm} {activation} masks {masks} heads {heads} B{b} T{t} S{s}", seed, [new("y", y, expected)],
            [x, memory], ours, theirs);
    }

    /// <summary>
    /// The composed torch layers used as the pre-norm reference, run in post-norm mode, equal libtorch's own
    /// layers with the same weights: the composition itself is right.
    /// </summary>
    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.Gelu)]
    public void ComposedTorchLayersMatchLibtorchLayers(ActivationKind activation)
    {
        using var scope = torch.NewDisposeScope();
        bool gelu = activation == ActivationKind.Gelu;
        var native = torch.nn.TransformerDecoderLayer(E, 4, Dff, 0.0, TorchActivation(activation)).to(torch.ScalarType.Float64);
        var composed = new TorchDecoderLayer(E, 4, Dff, preNorm: false, gelu).to(torch.ScalarType.Float64);
        CopyTorch(native, composed);
        var nativeEncoder = torch.nn.TransformerEncoderLayer(E, 4, Dff, 0.0, TorchActivation(activation)).to(torch.ScalarType.Float64);
        var composedEncoder = new TorchEncoderLayer(E, 4, Dff, preNorm: false, gelu).to(torch.ScalarType.Float64);
        CopyTorch(nativeEncoder, composedEncoder);

        var x = torch.rand(5, 2, E, dtype: torch.ScalarType.Float64);
        var memory = torch.rand(4, 2, E, dtype: torch.ScalarType.Float64);
        var (_, _, padding) = Masks(3, 2, 4, causal: false, padding: true);
        var a = native.call(x, memory, TorchCausal(5), null!, null!, padding!);
        var c = composed.call(x, memory, TorchCausal(5), null!, null!, padding!);
        AssertClose(a, ToFloats(c), ShapeOf(c), 1e-6, 1e-6, "composed vs libtorch decoder layer");
        var ae = nativeEncoder.call(memory, null!, padding!);
        var ce = composedEncoder.call(memory, null!, padding!);
        AssertClose(ae, ToFloats(ce), ShapeOf(ce), 1e-6, 1e-6, "composed vs libtorch encoder layer");
    }

    static void CopyTorch(torch.nn.Module from, torch.nn.Module to)
    {
        var source = TorchParameters(from);
        var target = TorchParameters(to);
        Assert.Equal(source.Keys.Order(), target.Keys.Order());
        using var _ = torch.no_grad();
        foreach (var (name, p) in target) p.copy_(source[name]);
    }
}
