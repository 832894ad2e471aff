using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.Kernels;

namespace Sharpformer.Tests.Tensors;

/// <summary>
/// The fused "Add &amp; Norm" op against Dropout, Add and LayerNorm run one after another (bit for bit, forward and every
/// gradient, on any thread count), its gradients by finite differences, and its errors.
/// </summary>
public class AddNormTests
{
    // rows = 3·37 = 111: several blocks of 32 rows and a short last one, so both passes split over threads
    private static readonly int[] Shape = [3, 37, 24];

    private static Tensor[] Leaves(ulong seed, bool affine)
    {
        var rng = new Rng(seed);
        Tensor[] leaves = [Tensor.Normal(Shape, rng, std: 2f).RequireGrad(), Tensor.Normal(Shape, rng).RequireGrad()];
        return affine ? [.. leaves, Tensor.Normal([24], rng).RequireGrad(), Tensor.Normal([24], rng).RequireGrad()] : leaves;
    }

    // The output and the gradient of Σ y·w for every leaf.
    private static float[][] Run(Tensor[] leaves, Func<Tensor[], Tensor> op, Tensor weights)
    {
        foreach (var leaf in leaves) leaf.ZeroGrad();
        var y = op(leaves);
        y.Backward(weights);
        return [y.ToArray(), .. leaves.Select(leaf => leaf.Grad!.ToArray())];
    }

    [Theory]
    [InlineData(0.0f, true, 1)]
    [InlineData(0.3f, true, 1)]
    [InlineData(0.3f, true, 2)]
    [InlineData(0.3f, true, 3)]
    [InlineData(0.1f, false, 2)]
    [InlineData(0.0f, false, 2)]
    public void SameBitsAsDropoutAddLayerNormApart(float p, bool affine, int threads)
    {
        var leaves = Leaves(1, affine);
        var weights = Tensor.Normal(Shape, new Rng(2));
        Tensor? Weight(Tensor[] x) => affine ? x[2] : null;
        Tensor? Bias(Tensor[] x) => affine ? x[3] : null;
        float[][] apart = Run(leaves, x => x[0].Add(x[1].Dropout(p, new Rng(7))).LayerNorm(Weight(x), Bias(x), 1e-5f), weights);
        KernelThreads.With(threads, () =>
        {
            float[][] fused = Run(leaves, x => x[0].AddNorm(x[1], Weight(x), Bias(x), 1e-5f, p, new Rng(7)), weights);
            for (int i = 0; i < apart.Length; i++) Assert.Equal(apart[i], fused[i]);
        });
        if (p > 0f) Assert.Contains(0f, leaves[1].Grad!.ToArray());     // the mask dropped some of the sublayer's gradient
    }

    [Fact]
    public void DrawsOneKeyOnlyWithDropout()
    {
        var leaves = Leaves(3, affine: true);
        var rng = new Rng(11);
        leaves[0].AddNorm(leaves[1], leaves[2], leaves[3], p: 0f, rng: rng);
        Assert.Equal(new Rng(11).NextUInt64(), rng.NextUInt64());
        leaves[0].AddNorm(leaves[1], leaves[2], leaves[3], p: 0.2f, rng: rng);
        var expected = new Rng(11);
        expected.NextUInt64();
        expected.NextUInt64();
        Assert.Equal(expected.NextUInt64(), rng.NextUInt64());
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var rng = new Rng(4);
        Tensor Leaf(params int[] shape) => Tensor.Normal(shape, rng).RequireGrad();
        // A fixed mask: every evaluation draws its key from a generator seeded alike.
        var withMask = GradCheck.Run(x => x[0].AddNorm(x[1], x[2], x[3], 1e-5f, 0.4f, new Rng(3)),
            [Leaf(3, 5), Leaf(3, 5), Leaf(5), Leaf(5)]);
        Assert.True(withMask.Passed, withMask.Report);
        var plain = GradCheck.Run(x => x[0].AddNorm(x[1], null, null), [Leaf(2, 2, 4), Leaf(2, 2, 4)]);
        Assert.True(plain.Passed, plain.Report);
    }

    [Fact]
    public void LayerNormForwardAddDropsOnlyInTraining()
    {
        var norm = new Sharpformer.NN.LayerNorm(24);
        var dropout = new Dropout(0.5f, new Rng(5));
        var leaves = Leaves(6, affine: false);
        float[] training = norm.ForwardAdd(leaves[0], leaves[1], dropout).ToArray();
        dropout.Eval();
        float[] evaluation = norm.ForwardAdd(leaves[0], leaves[1], dropout).ToArray();
        Assert.Equal(leaves[0].Add(leaves[1]).LayerNorm(norm.Weight, norm.Bias).ToArray(), evaluation);
        Assert.NotEqual(training, evaluation);
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        var leaves = Leaves(8, affine: true);
        var other = Tensor.Zeros(3, 37, 23);
        var e = Assert.Throws<ShapeMismatchException>(() => leaves[0].AddNorm(other, null, null));
        Assert.Contains("[3, 37, 24] and sublayer [3, 37, 23]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => leaves[0].AddNorm(leaves[1], null, null, p: 1f, rng: new Rng(1)));
        Assert.Throws<ArgumentNullException>(() => leaves[0].AddNorm(leaves[1], null, null, p: 0.1f));
        Assert.Throws<ShapeMismatchException>(() => leaves[0].AddNorm(leaves[1], Tensor.Ones(23), Tensor.Zeros(23)));
        Assert.Throws<ArgumentException>(() => leaves[0].AddNorm(leaves[1], leaves[2], null));
    }
}
