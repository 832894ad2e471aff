using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

/// <summary>
/// The fused attention op against the separate ops it replaces (outputs, weights and gradients), its
/// gradients by finite differences, its dropout, and the layout of its output.
/// </summary>
public class AttentionTests
{
    public enum MaskKind { None, Causal, Padding, Additive, BroadcastAdditive, TransposedAdditive, FullyMaskedRow }

    public enum Layout { Contiguous, SplitHeads, Rank3, Rank2 }

    /// <summary>Leaf tensors, and q, k, v made from them.</summary>
    private sealed record Inputs(Tensor[] Leaves, Func<Tensor[], (Tensor Q, Tensor K, Tensor V)> Make);

    // q: [B, H, T, d], k: [B, H, S, d], v: [B, H, S, dv] (without B, or B and H, for the lower ranks).
    // SplitHeads: q from a [B, T, H, d] projection and k, v from one packed [B, S, H, d + dv] projection,
    // transposed as MultiHeadAttention splits heads, so every operand is a strided view.
    private static Inputs MakeInputs(Layout layout, int b, int h, int t, int s, int d, int dv, ulong seed)
    {
        var rng = new Rng(seed);
        Tensor Leaf(params int[] shape) => Tensor.Normal(shape, rng).RequireGrad();
        return layout switch
        {
            Layout.SplitHeads => new([Leaf(b, t, h, d), Leaf(b, s, h, d + dv)], x =>
                (x[0].Transpose(1, 2), x[1].Narrow(3, 0, d).Transpose(1, 2), x[1].Narrow(3, d, dv).Transpose(1, 2))),
            Layout.Rank3 => new([Leaf(h, t, d), Leaf(h, s, d), Leaf(h, s, dv)], x => (x[0], x[1], x[2])),
            Layout.Rank2 => new([Leaf(t, d), Leaf(s, d), Leaf(s, dv)], x => (x[0], x[1], x[2])),
            _ => new([Leaf(b, h, t, d), Leaf(b, h, s, d), Leaf(b, h, s, dv)], x => (x[0], x[1], x[2])),
        };
    }

    private static Tensor? MakeMask(MaskKind kind, int b, int h, int t, int s)
    {
        var rng = new Rng(99);
        float[] PaddingIds(Func<int, int> length) =>
            [.. Enumerable.Range(0, b * s).Select(i => i % s < length(i / s) ? 5f : 0f)];
        return kind switch
        {
            MaskKind.Causal => AttentionMask.Causal(t).Additive,                                            // [T, T]
            MaskKind.Padding => AttentionMask.KeyPadding(Tensor.FromArray(PaddingIds(row => s - row), b, s), 0).Additive,   // [B, 1, 1, S]
            MaskKind.Additive => Tensor.Uniform([b, h, t, s], rng, -2f, 2f),
            MaskKind.BroadcastAdditive => Tensor.Uniform([h, 1, s], rng, -2f, 2f),
            MaskKind.TransposedAdditive => Tensor.Uniform([b, 1, s, t], rng, -2f, 2f).Transpose(2, 3),          // keys not adjacent
            MaskKind.FullyMaskedRow => AttentionMask.KeyPadding(Tensor.FromArray(PaddingIds(row => row == 1 ? 0 : s), b, s), 0).Additive,
            _ => null,
        };
    }

    // softmax(q·kᵀ/√d + mask), dropped out, times v, as separate ops: the composition the fused op replaces.
    private static (Tensor Output, Tensor Weights) Unfused(Tensor q, Tensor k, Tensor v, Tensor? mask, float p = 0f, Rng? rng = null)
    {
        var scores = q.MatMul(k.Transpose(-2, -1)) * (1f / MathF.Sqrt(q.Size(-1)));
        if (mask is not null) scores = scores + mask;
        var weights = scores.Softmax(-1);
        var dropped = p > 0 ? weights.Dropout(p, rng!) : weights;
        return (dropped.MatMul(v), weights);
    }

    // |expected − actual| ≤ tolerance·max(1, |expected|) per element; NaN only where NaN is expected.
    internal static void AssertClose(float[] expected, float[] actual, string what, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool ok = float.IsNaN(expected[i])
                ? float.IsNaN(actual[i])
                : Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(ok, $"{what} element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    // Output, weights and leaf gradients after backpropagating fixed random output weights.
    private static (float[] Output, float[] Weights, float[][] Grads) Run(Inputs inputs,
        Func<Tensor, Tensor, Tensor, (Tensor, Tensor?)> attend)
    {
        foreach (var leaf in inputs.Leaves) leaf.ZeroGrad();
        var (q, k, v) = inputs.Make(inputs.Leaves);
        var (output, weights) = attend(q, k, v);
        output.Backward(Tensor.Uniform(output.ShapeArray(), new Rng(7), -1f, 1f));
        return (output.ToArray(), weights!.ToArray(), [.. inputs.Leaves.Select(x => x.Grad!.ToArray())]);
    }

    public static TheoryData<Layout, MaskKind, int[]> EqualityCases() => new()
    {
        // layout, mask, [B, H, T, S, d, dv]
        { Layout.Contiguous, MaskKind.None, [2, 3, 5, 7, 4, 6] },
        { Layout.Contiguous, MaskKind.Causal, [2, 2, 6, 6, 8, 8] },
        { Layout.Contiguous, MaskKind.Additive, [2, 2, 4, 9, 3, 5] },
        { Layout.SplitHeads, MaskKind.None, [3, 4, 5, 8, 16, 16] },
        { Layout.SplitHeads, MaskKind.Causal, [2, 4, 33, 33, 16, 16] },
        { Layout.SplitHeads, MaskKind.Padding, [3, 2, 6, 9, 8, 8] },
        { Layout.SplitHeads, MaskKind.BroadcastAdditive, [2, 3, 4, 5, 8, 4] },
        { Layout.SplitHeads, MaskKind.TransposedAdditive, [2, 3, 4, 5, 8, 4] },
        { Layout.SplitHeads, MaskKind.FullyMaskedRow, [2, 2, 3, 4, 8, 8] },
        { Layout.Contiguous, MaskKind.None, [2, 4, 1, 12, 64, 64] },             // one query, as in decoding
        { Layout.Rank3, MaskKind.Causal, [1, 2, 5, 5, 4, 3] },
        { Layout.Rank2, MaskKind.None, [1, 1, 4, 6, 5, 2] },
    };

    [Theory]
    [MemberData(nameof(EqualityCases))]
    public void MatchesTheUnfusedOps(Layout layout, MaskKind maskKind, int[] sizes)
    {
        int b = sizes[0], h = sizes[1], t = sizes[2], s = sizes[3], d = sizes[4], dv = sizes[5];
        var inputs = MakeInputs(layout, b, h, t, s, d, dv, seed: (ulong)(t * 31 + s));
        var mask = MakeMask(maskKind, b, h, t, s);
        var fused = Run(inputs, (q, k, v) => Tensor.Attention(q, k, v, mask, returnWeights: true));
        var unfused = Run(inputs, (q, k, v) => Unfused(q, k, v, mask));
        AssertClose(unfused.Output, fused.Output, "output");
        AssertClose(unfused.Weights, fused.Weights, "weights");
        for (int i = 0; i < inputs.Leaves.Length; i++) AssertClose(unfused.Grads[i], fused.Grads[i], $"gradient of leaf {i}");
        // A row with every key blocked is NaN (as in torch); the rest of the batch is untouched by it.
        if (maskKind == MaskKind.FullyMaskedRow)
        {
            Assert.True(float.IsNaN(fused.Output[^1]));
            Assert.False(float.IsNaN(fused.Output[0]));
        }
    }

    private static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Run(f, inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Theory]
    [InlineData(Layout.Contiguous, MaskKind.None)]
    [InlineData(Layout.Contiguous, MaskKind.Causal)]
    [InlineData(Layout.Contiguous, MaskKind.Padding)]
    [InlineData(Layout.SplitHeads, MaskKind.Causal)]
    [InlineData(Layout.SplitHeads, MaskKind.Padding)]
    [InlineData(Layout.Rank3, MaskKind.Additive)]
    public void GradientsMatchFiniteDifferences(Layout layout, MaskKind maskKind)
    {
        int b = 2, h = 2, t = 4, s = maskKind == MaskKind.Causal ? 4 : 5, d = 3, dv = 2;
        var inputs = MakeInputs(layout, b, h, t, s, d, dv, seed: 3);
        var mask = MakeMask(maskKind, layout == Layout.Rank3 ? 1 : b, h, t, s);
        if (layout == Layout.Rank3) mask = mask!.Reshape(h, t, s);
        Check(x =>
        {
            var (q, k, v) = inputs.Make(x);
            return Tensor.Attention(q, k, v, mask).Output;
        }, inputs.Leaves);
    }

    [Fact]
    public void GradientsWithDropoutMatchFiniteDifferences()
    {
        // A fresh generator with the same seed per evaluation: the same key, so the same mask.
        var inputs = MakeInputs(Layout.SplitHeads, 2, 2, 4, 5, 3, 3, seed: 4);
        var mask = MakeMask(MaskKind.Padding, 2, 2, 4, 5);
        Check(x =>
        {
            var (q, k, v) = inputs.Make(x);
            return Tensor.Attention(q, k, v, mask, dropout: 0.3f, rng: new Rng(5)).Output;
        }, inputs.Leaves);
    }

    [Fact]
    public void DropoutIsTheSameMaskAsDropoutOnTheWeights()
    {
        // With the same key the fused dropout drops the same elements as Tensor.Dropout on the weights,
        // in the forward pass and in the backward pass.
        var inputs = MakeInputs(Layout.SplitHeads, 2, 4, 6, 7, 8, 8, seed: 6);
        var mask = MakeMask(MaskKind.Padding, 2, 4, 6, 7);
        var fused = Run(inputs, (q, k, v) => Tensor.Attention(q, k, v, mask, 0.4f, new Rng(11), returnWeights: true));
        var unfused = Run(inputs, (q, k, v) => Unfused(q, k, v, mask, 0.4f, new Rng(11)));
        AssertClose(unfused.Output, fused.Output, "output");
        AssertClose(unfused.Weights, fused.Weights, "weights (before dropout)");
        for (int i = 0; i < inputs.Leaves.Length; i++) AssertClose(unfused.Grads[i], fused.Grads[i], $"gradient of leaf {i}");
    }

    [Fact]
    public void DropoutKeepsAboutOneMinusPOfTheWeightsScaledUp()
    {
        // v = I per pair, so the output is the dropped-out weights themselves.
        const int b = 4, h = 4, t = 32, s = 32;
        const float p = 0.3f;
        var identity = new float[b * h * s * s];
        for (int pair = 0; pair < b * h; pair++)
            for (int j = 0; j < s; j++) identity[(pair * s + j) * s + j] = 1;
        var q = Tensor.Normal([b, h, t, 8], new Rng(1));
        var k = Tensor.Normal([b, h, s, 8], new Rng(2));
        var (output, weights) = Tensor.Attention(q, k, Tensor.FromArray(identity, b, h, s, s), null, p, new Rng(3), returnWeights: true);
        float[] dropped = output.ToArray(), kept = weights!.ToArray();
        int zeros = 0;
        for (int i = 0; i < dropped.Length; i++)
        {
            if (dropped[i] == 0f) zeros++;
            else Assert.Equal(kept[i] / (1f - p), dropped[i], 1e-6f);
        }
        // Zeros ~ Binomial(N, p); five standard deviations.
        int n = dropped.Length;
        double sigma = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(zeros, n * p - 5 * sigma, n * p + 5 * sigma);
    }

    [Fact]
    public void ModuleDropsOutOnlyWhileTraining()
    {
        var q = Tensor.Normal([2, 2, 5, 4], new Rng(1));
        var attention = new ScaledDotProductAttention(0.5f, new Rng(2));
        var plain = Tensor.Attention(q, q, q).Output.ToArray();   // the module's op for a few keys
        Assert.NotEqual(plain, attention.Forward(q, q, q).Output.ToArray());
        attention.Eval();
        Assert.Equal(plain, attention.Forward(q, q, q).Output.ToArray());
    }

    [Fact]
    public void OutputMergesHeadsWithoutACopy()
    {
        var x = Tensor.Normal([2, 5, 3, 4], new Rng(1));                     // [B, T, H, d]
        var heads = x.Transpose(1, 2);                                       // [B, H, T, d], as SplitHeads gives
        var (output, _) = Tensor.Attention(heads, heads, heads, AttentionMask.Causal(5).Additive);
        Assert.Equal([2, 3, 5, 4], output.ShapeArray());
        var merged = output.Transpose(1, 2).Reshape(2, 5, 12);              // [B, T, E]
        Assert.Same(output.Storage, merged.Storage);
        AssertClose(Unfused(heads, heads, heads, AttentionMask.Causal(5).Additive).Output.Transpose(1, 2).Reshape(2, 5, 12).ToArray(),
            merged.ToArray(), "merged heads");
    }

    [Fact]
    public void ShapesThatDoNotFitAreErrors()
    {
        var q = Tensor.Zeros(2, 2, 3, 4);
        Assert.Throws<ShapeMismatchException>(() => Tensor.Attention(q, Tensor.Zeros(2, 2, 5, 3), Tensor.Zeros(2, 2, 5, 4)));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Attention(q, Tensor.Zeros(2, 2, 5, 4), Tensor.Zeros(2, 2, 6, 4)));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Attention(q, q, q, Tensor.Zeros(4, 4)));
        Assert.Throws<ArgumentNullException>(() => Tensor.Attention(q, q, q, dropout: 0.1f));
    }
}
