using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using SfLayerNorm = Sharpformer.NN.LayerNorm;
using SfLinear = Sharpformer.NN.Linear;

namespace Sharpformer.Parity.Tests;

/// <summary>The elementary modules against torch.nn.Linear, Embedding, LayerNorm, GELU/ReLU and the paper's positional formula.</summary>
public class ModuleParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3 };

    public static TheoryData<int, bool, int> LinearCases()
    {
        var data = new TheoryData<int, bool, int>();
        foreach (int seed in new[] { 1, 2, 3 })
            foreach (bool bias in new[] { true, false })
                foreach (int rank in new[] { 2, 3 })
                    data.Add(seed, bias, rank);
        return data;
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear(int seed, bool bias, int rank)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int inF = rng.Next(3, 17), outF = rng.Next(3, 17);
        var ours = new SfLinear(inF, outF, new Rng((ulong)seed), bias);
        Perturb(ours, seed);
        var theirs = torch.nn.Linear(inF, outF, hasBias: bias);
        CopyWeights(ours, theirs);
        int[] shape = rank == 2 ? [rng.Next(1, 6), inF] : [rng.Next(1, 4), rng.Next(1, 6), inF];
        var x = Leaf.Random("x", seed, shape);
        Verify($"Linear {inF}→{outF} bias={bias} x{Shapes.Format(shape)}", seed,
            [new("y", ours.Forward(x.Ours), theirs.call(x.Theirs))], [x], ours, theirs);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LinearRelu(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int inF = rng.Next(3, 17), outF = rng.Next(3, 17);
        var ours = new SfLinear(inF, outF, new Rng((ulong)seed));
        Perturb(ours, seed);
        var theirs = torch.nn.Linear(inF, outF);
        CopyWeights(ours, theirs);
        var x = Leaf.Random("x", seed, [rng.Next(2, 4), rng.Next(2, 6), inF]);
        Verify($"relu(Linear {inF}→{outF})", seed,
            [new("y", ours.ForwardRelu(x.Ours), torch.nn.functional.relu(theirs.call(x.Theirs)))], [x], ours, theirs);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EmbeddingWithRepeatedIds(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int vocab = rng.Next(4, 8), dim = rng.Next(3, 12), b = 3, t = 6;
        var ours = new Embedding(vocab, dim, new Rng((ulong)seed));
        var theirs = torch.nn.Embedding(vocab, dim);
        CopyWeights(ours, theirs);
        // b·t = 18 ids from at most 7 rows: repeats are certain; row 1 appears several times on purpose.
        int[] ids = Enumerable.Range(0, b * t).Select(i => i % 4 == 0 ? 1 : rng.Next(vocab)).ToArray();
        var x = Leaf.Ids("ids", ids, [b, t]);
        Verify($"Embedding {vocab}×{dim}", seed, [new("vectors", ours.Forward(x.Ours), theirs.call(x.Theirs))], [x], ours, theirs);
    }

    public static TheoryData<int, float> LayerNormCases() => new() { { 1, 1e-5f }, { 2, 1e-5f }, { 3, 1e-6f }, { 4, 1e-6f } };

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void LayerNorm(int seed, float eps)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int dim = rng.Next(4, 33);
        var ours = new SfLayerNorm(dim, eps);
        Perturb(ours, seed, 0.5f);
        var theirs = torch.nn.LayerNorm(dim, eps);
        CopyWeights(ours, theirs);
        // An offset and a spread per row, so the mean and variance matter.
        var x = Leaf.Random("x", seed, [2, rng.Next(2, 6), dim], -3f, 5f);
        Verify($"LayerNorm {dim} eps={eps:G2}", seed, [new("y", ours.Forward(x.Ours), theirs.call(x.Theirs))], [x], ours, theirs);
    }

    /// <summary>A row of nearly equal values: the variance is tiny, so eps dominates and 1e-5 vs 1e-6 gives different results.</summary>
    [Theory]
    [InlineData(1e-5f)]
    [InlineData(1e-6f)]
    public void LayerNormNearlyConstantRows(float eps)
    {
        using var scope = torch.NewDisposeScope();
        var ours = new SfLayerNorm(8, eps);
        var theirs = torch.nn.LayerNorm(8, eps);
        CopyWeights(ours, theirs);
        float[] data = RandomFloats(5, 16, 0.999f, 1.001f);
        var x = new Leaf("x", Tensor.FromArray(data, 2, 8).RequireGrad(), ToTorch(data, [2, 8], float64: true, requiresGrad: true));
        // x − mean is a difference of nearly equal float32 numbers and the result is divided by √(var + eps) ≈ 3e-3,
        // so float32 rounding is amplified: the largest scaled error measured is 6e-6; 5e-5 leaves room.
        Verify($"LayerNorm nearly constant eps={eps:G2}", 5, [new("y", ours.Forward(x.Ours), theirs.call(x.Theirs))], [x], ours, theirs,
            rtol: 5e-5, atol: 5e-5);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Activations(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var x = Leaf.Random("x", seed, [3, 4, 5], -4f, 4f);
        var gelu = new Gelu();
        Verify("GELU", seed, [new("gelu", gelu.Forward(x.Ours), torch.nn.functional.gelu(x.Theirs))], [x]);
        var y = Leaf.Random("x", seed + 100, [3, 4, 5], -4f, 4f);
        Verify("ReLU", seed, [new("relu", Relu.Forward(y.Ours), torch.nn.functional.relu(y.Theirs))], [y]);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FeedForward(int seed)
    {
        using var scope = torch.NewDisposeScope();
        foreach (var act in new[] { ActivationKind.Relu, ActivationKind.Gelu })
        {
            var ours = new Sharpformer.NN.FeedForward(12, 20, act, 0f, new Rng((ulong)seed));
            Perturb(ours, seed);
            var theirs = new TorchFeedForward(12, 20, act == ActivationKind.Gelu);
            CopyWeights(ours, theirs);
            var x = Leaf.Random("x", seed, [2, 5, 12], -2f, 2f);
            var expected = theirs.call(x.Theirs);
            Verify($"FeedForward {act}", seed, [new("y", ours.Forward(x.Ours), expected)], [x], ours, theirs);
        }
    }

    [Theory]
    [InlineData(8, 50)]
    [InlineData(16, 30)]
    [InlineData(7, 20)]
    public void PositionalEncodingTable(int dim, int maxLength)
    {
        using var scope = torch.NewDisposeScope();
        var pe = new SinusoidalPositionalEncoding(dim, maxLength);
        Assert.Equal(0, pe.ParameterCount());
        var expected = TorchPositionalTable(maxLength, dim);
        // Stored as float32: the only error is the final rounding (≤ 2⁻²⁴ relative, values ≤ 1).
        Verify($"PositionalEncoding table {maxLength}×{dim}", dim, [new("table", pe.Table, expected, Backprop: false)], [],
            rtol: 0, atol: 1e-7);

        // Forward adds the first T rows; its gradient with respect to x is the identity.
        var x = Leaf.Random("x", dim, [2, 5, dim]);
        Verify($"PositionalEncoding forward d={dim}", dim, [new("x + PE", pe.Forward(x.Ours), x.Theirs + expected.narrow(0, 0, 5))], [x]);
    }

    [Fact]
    public void PositionalEncodingMatchesPaperAtKnownPoints()
    {
        var table = new SinusoidalPositionalEncoding(4, 3).Table.ToArray();
        // pos 0: sin 0 = 0, cos 0 = 1. pos 2, i = 1 (columns 2, 3): angle 2 / 10000^(2/4) = 0.02.
        Assert.Equal([0f, 1f, 0f, 1f], table[0..4]);
        Assert.Equal(MathF.Sin(2f), table[8], 6);
        Assert.Equal(MathF.Cos(2f), table[9], 6);
        Assert.Equal(MathF.Sin(0.02f), table[10], 6);
        Assert.Equal(MathF.Cos(0.02f), table[11], 6);
    }
}
