using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// ScaledDotProductAttention against torch.nn.functional.scaled_dot_product_attention, and
/// MultiHeadAttention against torch.nn.MultiheadAttention (libtorch's, sequence-first), with masks.
/// </summary>
public class AttentionParityTests
{
    public enum MaskKind { None, BooleanShared, BooleanPerBatch, Additive, CausalAdditive }

    public static TheoryData<int, MaskKind> SdpaCases()
    {
        var data = new TheoryData<int, MaskKind>();
        foreach (int seed in new[] { 1, 2 })
            foreach (var kind in Enum.GetValues<MaskKind>())
                data.Add(seed, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(SdpaCases))]
    public void ScaledDotProductAttention(int seed, MaskKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed * 17 + (int)kind);
        int b = 2, h = 2, t = rng.Next(3, 7), s = kind == MaskKind.CausalAdditive ? t : rng.Next(3, 7),
            d = rng.Next(2, 9), dv = rng.Next(2, 9);
        var q = Leaf.Random("q", seed * 10 + 1, [b, h, t, d], -2f, 2f);
        var k = Leaf.Random("k", seed * 10 + 2, [b, h, s, d], -2f, 2f);
        var v = Leaf.Random("v", seed * 10 + 3, [b, h, s, dv]);

        AttentionMask? mask = null;
        TorchTensor? torchMask = null;   // as scaled_dot_product_attention takes it: bool true = allowed, or float added
        TorchTensor additive;            // the same mask as a float64 bias broadcastable to [B, H, T, S], for the weights
        switch (kind)
        {
            case MaskKind.BooleanShared or MaskKind.BooleanPerBatch:
            {
                int[] shape = kind == MaskKind.BooleanShared ? [t, s] : [b, 1, t, s];
                float[] blocked = RandomBlocked(rng, Count(shape) / (t * s), t, s);
                mask = AttentionMask.FromBoolean(Tensor.FromArray(blocked, shape));
                var blockedTorch = ToTorch(blocked, shape, float64: true) != 0;
                torchMask = blockedTorch.logical_not();
                additive = torch.zeros(shape.Select(x => (long)x).ToArray(), dtype: torch.ScalarType.Float64)
                    .masked_fill(blockedTorch, double.NegativeInfinity);
                break;
            }
            case MaskKind.Additive:
            {
                float[] bias = RandomFloats(seed * 10 + 4, b * h * t * s, -3f, 3f);
                mask = AttentionMask.FromAdditive(Tensor.FromArray(bias, b, h, t, s));
                torchMask = additive = ToTorch(bias, [b, h, t, s], float64: true);
                break;
            }
            case MaskKind.CausalAdditive:
                mask = AttentionMask.Causal(t);
                torchMask = additive = TorchCausal(t);
                break;
            default:
                additive = torch.zeros([1L], dtype: torch.ScalarType.Float64);
                break;
        }

        var attention = new Sharpformer.NN.ScaledDotProductAttention(0f, new Rng(1));
        var (output, weights) = attention.Forward(q.Ours, k.Ours, v.Ours, mask, returnWeights: true);
        var expected = torch.nn.functional.scaled_dot_product_attention(q.Theirs, k.Theirs, v.Theirs, torchMask!, 0.0, false);
        TorchTensor expectedWeights;
        using (torch.no_grad())
            expectedWeights = (torch.matmul(q.Theirs, k.Theirs.transpose(-2, -1)) / Math.Sqrt(d) + additive).softmax(-1);
        Assert.NotNull(weights);
        Verify($"SDPA {kind} q[{b},{h},{t},{d}] k[{s}] dv {dv}", seed,
            [new("output", output, expected), new("weights", weights!, expectedWeights, Backprop: false)], [q, k, v]);
    }

    public enum SplitHeadsMask { None, Causal, KeyPadding }

    /// <summary>
    /// Tensor.Attention reading its heads in place from projections (strided views: q from [B, T, H, d], k
    /// and v from one packed [B, S, H, 2d]), against torch's scaled_dot_product_attention on the same views.
    /// </summary>
    [Theory]
    [InlineData(1, SplitHeadsMask.None)]
    [InlineData(2, SplitHeadsMask.Causal)]
    [InlineData(3, SplitHeadsMask.KeyPadding)]
    public void FusedAttentionOnSplitHeads(int seed, SplitHeadsMask kind)
    {
        int b = 3, h = 2, t = 5, s = kind == SplitHeadsMask.Causal ? 5 : 7, d = 4;
        var mask = kind switch
        {
            SplitHeadsMask.Causal => AttentionMask.Causal(t).Additive,
            SplitHeadsMask.KeyPadding => AttentionMask.KeyPadding(
                Tensor.FromArray(PaddedIds(seed, [s, 3, 5], s, 9).Select(i => (float)i).ToArray(), b, s), 0).Additive,
            _ => null,
        };
        var torchMask = mask is null ? null : ToTorch(mask.ToArray(), mask.ShapeArray(), float64: true);
        OpParity.Check($"Attention on split heads, {kind}", seed,
            [Input.Random(seed * 10 + 1, [b, t, h, d], -2f, 2f), Input.Random(seed * 10 + 2, [b, s, h, 2 * d], -2f, 2f)],
            x => Tensor.Attention(x[0].Transpose(1, 2), x[1].Narrow(3, 0, d).Transpose(1, 2),
                x[1].Narrow(3, d, d).Transpose(1, 2), mask).Output,
            x => torch.nn.functional.scaled_dot_product_attention(x[0].transpose(1, 2), x[1].narrow(3, 0, d).transpose(1, 2),
                x[1].narrow(3, d, d).transpose(1, 2), torchMask!, 0.0, false));
    }

    // Blocked (1) or allowed (0) for `count` [t, s] blocks, about a third blocked, never a whole row.
    /// <summary>
    /// The tiled op (Tensor.FlashAttention) against torch's scaled_dot_product_attention, outputs and gradients:
    /// no mask, is_causal, and a boolean mask, at lengths that cross the 128-wide tiles unevenly.
    /// </summary>
    [Theory]
    [InlineData(1, false, false, 150, 150)]
    [InlineData(2, true, false, 150, 150)]
    [InlineData(3, true, false, 257, 257)]
    [InlineData(4, false, true, 70, 200)]
    public void FlashAttentionMatchesTorch(int seed, bool causal, bool boolean, int t, int s)
    {
        const int b = 2, h = 2, d = 16;
        float[] blocked = boolean ? RandomBlocked(new Random(seed), b, t, s) : [];
        var mask = boolean ? AttentionMask.FromBoolean(Tensor.FromArray(blocked, b, 1, t, s)).Additive : null;
        var torchMask = boolean ? (ToTorch(blocked, [b, 1, t, s], float64: true) != 0).logical_not() : null;
        OpParity.Check($"FlashAttention causal {causal} boolean {boolean} T {t} S {s}", seed,
            [Input.Random(seed * 10 + 1, [b, h, t, d], -2f, 2f), Input.Random(seed * 10 + 2, [b, h, s, d], -2f, 2f),
                Input.Random(seed * 10 + 3, [b, h, s, d])],
            x => Tensor.FlashAttention(x[0], x[1], x[2], mask, causal),
            x => torch.nn.functional.scaled_dot_product_attention(x[0], x[1], x[2], torchMask!, 0.0, causal));
    }

    static float[] RandomBlocked(Random rng, int count, int t, int s)
    {
        var blocked = new float[count * t * s];
        for (int c = 0; c < count; c++)
            for (int i = 0; i < t; i++)
            {
                int keep = rng.Next(s);
                for (int j = 0; j < s; j++)
                    blocked[(c * t + i) * s + j] = j != keep && rng.Next(3) == 0 ? 1 : 0;
            }
        return blocked;
    }

    public enum MhaKind { Self, SelfCausal, SelfCausalPadding, CrossPadding, CrossSeparateKeyValueAdditive }

    public static TheoryData<int, int, MhaKind> MhaCases()
    {
        var data = new TheoryData<int, int, MhaKind>();
        foreach (int heads in new[] { 1, 2, 4 })
            foreach (var kind in Enum.GetValues<MhaKind>())
                data.Add(heads + (int)kind, heads, kind);
        // Extra seeds on the richest cases.
        data.Add(11, 2, MhaKind.SelfCausalPadding);
        data.Add(12, 4, MhaKind.CrossPadding);
        return data;
    }

    [Theory]
    [MemberData(nameof(MhaCases))]
    public void MultiHeadAttention(int seed, int heads, MhaKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int e = 16, b = rng.Next(2, 4), t = rng.Next(3, 8);
        bool self = kind is MhaKind.Self or MhaKind.SelfCausal or MhaKind.SelfCausalPadding;
        int s = self ? t : t == 7 ? 4 : t + 1; // cross-attention: S ≠ T

        var ours = new Sharpformer.NN.MultiHeadAttention(e, heads, 0f, new Rng((ulong)seed));
        Perturb(ours, seed);
        var theirs = torch.nn.MultiheadAttention(e, heads, 0.0);
        CopyWeights(ours, theirs);

        var query = Leaf.Random("query", seed * 10 + 1, [b, t, e], -2f, 2f);
        var key = self ? query : Leaf.Random("key", seed * 10 + 2, [b, s, e], -2f, 2f);
        var value = kind == MhaKind.CrossSeparateKeyValueAdditive ? Leaf.Random("value", seed * 10 + 3, [b, s, e]) : key;

        AttentionMask? mask = null;
        TorchTensor? attnMask = null, padding = null;
        var additive = torch.zeros([1L], dtype: torch.ScalarType.Float64); // the whole mask as a bias on [B, H, T, S], for per-head weights
        if (kind is MhaKind.SelfCausal or MhaKind.SelfCausalPadding)
        {
            mask = AttentionMask.Causal(t);
            attnMask = TorchCausal(t);
            additive = additive + attnMask;
        }
        if (kind is MhaKind.SelfCausalPadding or MhaKind.CrossPadding)
        {
            // Some rows padded, one row full; position 0 is never padding, so no row is fully masked.
            int[] lengths = Enumerable.Range(0, b).Select(i => i == 0 ? s : rng.Next(1, s)).ToArray();
            int[] ids = PaddedIds(seed, lengths, s, 9);
            mask = AttentionMask.Combine(mask, AttentionMask.KeyPadding(Tensor.FromArray(ids.Select(i => (float)i).ToArray(), b, s), 0));
            padding = TorchPadding(ids, b, s);
            additive = additive + torch.zeros([b, 1L, 1L, s], dtype: torch.ScalarType.Float64)
                .masked_fill(padding.view(b, 1, 1, s), double.NegativeInfinity);
        }
        if (kind == MhaKind.CrossSeparateKeyValueAdditive)
        {
            float[] bias = RandomFloats(seed * 10 + 4, t * s, -2f, 2f);
            mask = AttentionMask.FromAdditive(Tensor.FromArray(bias, t, s));
            attnMask = ToTorch(bias, [t, s], float64: true);
            additive = additive + attnMask;
        }

        var (output, weights) = ours.Forward(query.Ours, key.Ours, value.Ours, mask, returnWeights: true);
        var (expected, expectedMean) = theirs.call(query.Theirs.transpose(0, 1), key.Theirs.transpose(0, 1), value.Theirs.transpose(0, 1),
            padding, true, attnMask);
        Assert.NotNull(weights);
        Assert.Equal([b, heads, t, s], weights!.ShapeArray());

        // libtorch's C++ MultiheadAttention returns the weights averaged over heads; the per-head weights
        // are recomputed in torch from the same packed projection.
        var perHead = PerHeadWeights(TorchParameters(theirs), query.Theirs, key.Theirs, heads, additive);
        Verify($"MHA {kind} heads {heads} B{b} T{t} S{s}", seed,
        [
            new("output", output, expected.transpose(0, 1)),
            new("weights averaged over heads", weights.Mean(1), expectedMean, Backprop: false),
            new("weights per head", weights, perHead, Backprop: false),
        ], self ? [query] : kind == MhaKind.CrossPadding ? [query, key] : [query, key, value], ours, theirs);
    }

    // softmax((x_q W_qᵀ + b_q)(x_k W_kᵀ + b_k)ᵀ / √d + mask) per head: [B, H, T, S].
    static TorchTensor PerHeadWeights(Dictionary<string, TorchTensor> p, TorchTensor query, TorchTensor key, int heads,
        TorchTensor additive)
    {
        using var _ = torch.no_grad();
        var w = p["in_proj_weight"];
        var bias = p["in_proj_bias"];
        long e = w.shape[1], d = e / heads;
        TorchTensor Heads(TorchTensor x, int part) =>
            torch.nn.functional.linear(x, w.narrow(0, part * e, e), bias.narrow(0, part * e, e))
                .view(x.shape[0], x.shape[1], heads, d).transpose(1, 2);
        var scores = torch.matmul(Heads(query, 0), Heads(key, 1).transpose(-2, -1)) / Math.Sqrt(d);
        return (scores + additive).softmax(-1);
    }
}
