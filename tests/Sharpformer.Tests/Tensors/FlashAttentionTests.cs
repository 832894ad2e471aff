using Sharpformer.Autograd;
using Sharpformer.Kernels;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Tensors;

/// <summary>
/// The tiled attention op (FlashAttention-2) against the reference op that stores the scores: outputs and
/// gradients on shapes that are not multiples of the tile, every kind of mask, dropout and cross lengths;
/// its gradients by finite differences; its independence of the thread count.
/// </summary>
public class FlashAttentionTests
{
    public enum MaskKind { None, Causal, CausalAndPadding, Padding, Additive, BroadcastAdditive, FullyMaskedRow }

    // q: [B, H, T, d] from a [B, T, H, d] projection and k, v from one packed [B, S, H, d + dv] projection, as
    // MultiHeadAttention splits heads (every operand a strided view); or plain contiguous tensors.
    private static (Tensor[] Leaves, Func<Tensor[], (Tensor Q, Tensor K, Tensor V)> Make) Inputs(bool split, int b, int h, int t, int s,
        int d, int dv, ulong seed)
    {
        var rng = new Rng(seed);
        Tensor Leaf(params int[] shape) => Tensor.Normal(shape, rng).RequireGrad();
        return split
            ? ([Leaf(b, t, h, d), Leaf(b, s, h, d + dv)],
                x => (x[0].Transpose(1, 2), x[1].Narrow(3, 0, d).Transpose(1, 2), x[1].Narrow(3, d, dv).Transpose(1, 2)))
            : ([Leaf(b, h, t, d), Leaf(b, h, s, d), Leaf(b, h, s, dv)], x => (x[0], x[1], x[2]));
    }

    // The additive mask both ops get (flash gets it without the causal part, which it takes as a flag).
    private static (Tensor? Reference, Tensor? Flash, bool Causal) Masks(MaskKind kind, int b, int h, int t, int s)
    {
        var rng = new Rng(99);
        Tensor Padding(Func<int, int> length) => AttentionMask.KeyPadding(
            Tensor.FromArray([.. Enumerable.Range(0, b * s).Select(i => i % s < length(i / s) ? 5f : 0f)], b, s), 0).Additive;
        var causal = AttentionMask.Causal(t).Additive;
        return kind switch
        {
            MaskKind.Causal => (causal, null, true),
            MaskKind.CausalAndPadding => (causal + Padding(row => s - 3 * row), Padding(row => s - 3 * row), true),
            MaskKind.Padding => (Padding(row => Math.Max(1, s - 5 * row - 1)), Padding(row => Math.Max(1, s - 5 * row - 1)), false),
            MaskKind.Additive => Same(Tensor.Uniform([b, h, t, s], rng, -2f, 2f)),
            MaskKind.BroadcastAdditive => Same(Tensor.Uniform([h, 1, s], rng, -2f, 2f)),
            MaskKind.FullyMaskedRow => Same(Padding(row => row == 1 ? 0 : s)),
            _ => (null, null, false),
        };
        static (Tensor?, Tensor?, bool) Same(Tensor mask) => (mask, mask, false);
    }

    private static (float[] Output, float[][] Grads) Run(Tensor[] leaves, Func<Tensor[], (Tensor, Tensor, Tensor)> make,
        Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        foreach (var leaf in leaves) leaf.ZeroGrad();
        var (q, k, v) = make(leaves);
        var output = attend(q, k, v);
        output.Backward(Tensor.Uniform(output.ShapeArray(), new Rng(7), -1f, 1f));
        return (output.ToArray(), [.. leaves.Select(x => x.Grad!.ToArray())]);
    }

    private static void AssertClose(float[] expected, float[] actual, string what) =>
        AttentionTests.AssertClose(expected, actual, what, tolerance: 2e-5f);

    public static TheoryData<MaskKind, bool, float, int[]> Cases() => new()
    {
        // mask, split heads, dropout, [B, H, T, S, d, dv]
        { MaskKind.None, false, 0f, [1, 1, 1, 1, 4, 4] },
        { MaskKind.None, true, 0f, [2, 3, 7, 13, 8, 8] },
        { MaskKind.None, false, 0f, [1, 2, 65, 63, 16, 8] },
        { MaskKind.Causal, true, 0f, [2, 2, 64, 64, 16, 16] },
        { MaskKind.Causal, true, 0f, [1, 2, 130, 130, 32, 32] },
        { MaskKind.Causal, false, 0f, [1, 1, 700, 700, 8, 8] },
        { MaskKind.CausalAndPadding, true, 0f, [3, 2, 77, 77, 16, 16] },
        { MaskKind.Padding, true, 0f, [3, 2, 9, 129, 16, 16] },             // cross-attention, keys past one tile
        { MaskKind.Padding, false, 0f, [2, 1, 257, 70, 8, 4] },
        { MaskKind.Additive, false, 0f, [2, 2, 66, 67, 8, 8] },
        { MaskKind.BroadcastAdditive, true, 0f, [2, 3, 40, 100, 8, 4] },
        { MaskKind.FullyMaskedRow, true, 0f, [2, 2, 5, 70, 8, 8] },
        { MaskKind.None, true, 0.3f, [2, 2, 70, 90, 8, 8] },
        { MaskKind.CausalAndPadding, true, 0.2f, [2, 2, 129, 129, 16, 16] },
        { MaskKind.Causal, true, 0f, [1, 4, 100, 100, 64, 64] },           // rows 1 KB and 2 KB apart: copied panels
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReferenceOp(MaskKind kind, bool split, float dropout, int[] sizes)
    {
        int b = sizes[0], h = sizes[1], t = sizes[2], s = sizes[3], d = sizes[4], dv = sizes[5];
        var (leaves, make) = Inputs(split, b, h, t, s, d, dv, seed: (ulong)(t * 31 + s));
        var (referenceMask, flashMask, causal) = Masks(kind, b, h, t, s);

        var reference = Run(leaves, make, (q, k, v) => Tensor.Attention(q, k, v, referenceMask, dropout, new Rng(5)).Output);
        var flash = Run(leaves, make, (q, k, v) => Tensor.FlashAttention(q, k, v, flashMask, causal, dropout, new Rng(5)));

        AssertClose(reference.Output, flash.Output, "output");
        for (int i = 0; i < leaves.Length; i++) AssertClose(reference.Grads[i], flash.Grads[i], $"gradient of leaf {i}");
        if (kind == MaskKind.FullyMaskedRow) Assert.True(float.IsNaN(flash.Output[^1]) && !float.IsNaN(flash.Output[0]));
    }

    // Paths by name (GemmPath is internal): every micro-kernel family this machine runs.
    public static TheoryData<string> SupportedPaths() =>
        [.. Enum.GetValues<GemmPath>().Where(Gemm.IsSupported).Select(path => path.ToString())];

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void EveryMicroKernelFamilyMatchesTheReferenceOp(string path)
    {
        // Head sizes that are not multiples of any panel width, lengths past two tiles, padding on a causal mask.
        int b = 2, h = 2, t = 203, s = 203, d = 40, dv = 24;
        var (leaves, make) = Inputs(split: true, b, h, t, s, d, dv, seed: 12);
        var (referenceMask, flashMask, causal) = Masks(MaskKind.CausalAndPadding, b, h, t, s);
        var reference = Run(leaves, make, (q, k, v) => Tensor.Attention(q, k, v, referenceMask, 0f, new Rng(5)).Output);
        try
        {
            Gemm.Path = Enum.Parse<GemmPath>(path);
            var flash = Run(leaves, make, (q, k, v) => Tensor.FlashAttention(q, k, v, flashMask, causal, 0f, new Rng(5)));
            AssertClose(reference.Output, flash.Output, $"{path} output");
            for (int i = 0; i < leaves.Length; i++) AssertClose(reference.Grads[i], flash.Grads[i], $"{path} gradient of leaf {i}");
        }
        finally
        {
            Gemm.ResetPath();
        }
    }

    [Theory]
    [InlineData(MaskKind.None, 0f)]
    [InlineData(MaskKind.Causal, 0f)]
    [InlineData(MaskKind.Padding, 0f)]
    [InlineData(MaskKind.CausalAndPadding, 0.3f)]
    public void GradientsMatchFiniteDifferences(MaskKind kind, float dropout)
    {
        int b = 2, h = 2, t = 5, s = kind is MaskKind.Causal or MaskKind.CausalAndPadding ? 5 : 6, d = 3, dv = 2;
        var (leaves, make) = Inputs(split: true, b, h, t, s, d, dv, seed: 3);
        var (_, mask, causal) = Masks(kind, b, h, t, s);
        var result = GradCheck.Run(x =>
        {
            var (q, k, v) = make(x);
            return Tensor.FlashAttention(q, k, v, mask, causal, dropout, new Rng(5));   // the same key, so the same mask
        }, leaves);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var (leaves, make) = Inputs(split: true, 2, 3, 150, 150, 16, 16, seed: 8);
        var (_, mask, causal) = Masks(MaskKind.CausalAndPadding, 2, 3, 150, 150);
        (float[] Output, float[][] Grads) On(int threads)
        {
            int before = Parallelism.Threads;
            Parallelism.Threads = threads;
            try
            {
                return Run(leaves, make, (q, k, v) => Tensor.FlashAttention(q, k, v, mask, causal, 0.1f, new Rng(2)));
            }
            finally
            {
                Parallelism.Threads = before;
            }
        }
        var (one, two) = (On(1), On(2));
        Assert.Equal(one.Output, two.Output);
        for (int i = 0; i < leaves.Length; i++) Assert.Equal(one.Grads[i], two.Grads[i]);
    }

    [Theory]
    [InlineData(ScaledDotProductAttention.ShortKeys, false)]
    [InlineData(ScaledDotProductAttention.ShortKeys + 1, true)]
    public void TheModuleTilesPastOneTileOfKeys(int keys, bool tiled)
    {
        var q = Tensor.Normal([1, 2, 3, 8], new Rng(1));
        var k = Tensor.Normal([1, 2, keys, 8], new Rng(2));
        var mask = AttentionMask.KeyPadding(Tensor.Ones(1, keys), padId: 0);
        var module = new ScaledDotProductAttention(0.2f, new Rng(3));

        var output = module.Forward(q, k, k, mask).Output.ToArray();

        var expected = tiled
            ? Tensor.FlashAttention(q, k, k, mask.Bias, causal: false, 0.2f, new Rng(3)).ToArray()
            : Tensor.Attention(q, k, k, mask.Additive, 0.2f, new Rng(3)).Output.ToArray();
        Assert.Equal(expected, output);
    }

    [Fact]
    public void CausalNeedsAsManyQueriesAsKeys()
    {
        var q = Tensor.Normal([1, 1, 3, 4], new Rng(1));
        var k = Tensor.Normal([1, 1, 5, 4], new Rng(2));
        Assert.Throws<ShapeMismatchException>(() => Tensor.FlashAttention(q, k, k, causal: true));
    }
}
