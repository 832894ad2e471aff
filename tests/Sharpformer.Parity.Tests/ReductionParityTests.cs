using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>Sum / Mean / Max / ArgMax over every axis (keepDim both ways), whole-tensor Sum / Mean, Softmax / LogSoftmax.</summary>
public class ReductionParityTests
{
    public static TheoryData<int, bool> SeedsAndKeepDim()
    {
        var data = new TheoryData<int, bool>();
        for (int seed = 1; seed <= 4; seed++)
        {
            data.Add(seed, false);
            data.Add(seed, true);
        }
        return data;
    }

    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3, 4 };

    /// <summary>Rank 1 to 4 by seed, so every axis position (first, middle, last) is reduced somewhere.</summary>
    static int[] ShapeFor(int seed) => RandomShape(new Random(seed * 13), seed, maxSize: 7);

    /// <summary>Each axis, given both as a non-negative and as a negative number.</summary>
    static IEnumerable<int> Axes(int rank) => Enumerable.Range(0, rank).Concat(Enumerable.Range(-rank, rank));

    [Theory]
    [MemberData(nameof(SeedsAndKeepDim))]
    public void SumOverEachAxis(int seed, bool keepDim)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -2, 2);
        foreach (int axis in Axes(shape.Length))
            Check($"Sum({axis}, keepDim={keepDim})", seed, [a], x => x[0].Sum(axis, keepDim), x => x[0].sum(axis, keepDim));
    }

    [Theory]
    [MemberData(nameof(SeedsAndKeepDim))]
    public void MeanOverEachAxis(int seed, bool keepDim)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -2, 2);
        foreach (int axis in Axes(shape.Length))
            Check($"Mean({axis}, keepDim={keepDim})", seed, [a], x => x[0].Mean(axis, keepDim), x => x[0].mean([axis], keepDim));
    }

    [Theory]
    [MemberData(nameof(SeedsAndKeepDim))]
    public void MaxOverEachAxis(int seed, bool keepDim)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -2, 2);
        foreach (int axis in Axes(shape.Length))
            Check($"Max({axis}, keepDim={keepDim})", seed, [a], x => x[0].Max(axis, keepDim), x => x[0].max(axis, keepDim).values);
    }

    [Theory]
    [MemberData(nameof(SeedsAndKeepDim))]
    public void ArgMaxOverEachAxis(int seed, bool keepDim)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -2, 2);
        AssertArgMaxMatches(a, keepDim, seed);
    }

    /// <summary>Small whole numbers make ties: both libraries pick the first maximal index, and Max's gradient goes there.</summary>
    [Theory]
    [MemberData(nameof(SeedsAndKeepDim))]
    public void MaxAndArgMaxWithTies(int seed, bool keepDim)
    {
        int[] shape = ShapeFor(seed + 1);
        var rng = new Random(seed);
        var a = new Input(Enumerable.Range(0, Count(shape)).Select(_ => (float)rng.Next(3)).ToArray(), shape);
        AssertArgMaxMatches(a, keepDim, seed);
        foreach (int axis in Axes(shape.Length))
            Check($"Max({axis}, keepDim={keepDim}) with ties", seed, [a], x => x[0].Max(axis, keepDim),
                x => x[0].max(axis, keepDim).values);
    }

    static void AssertArgMaxMatches(Input a, bool keepDim, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var t = ToTorch(a.Data, a.Shape, float64: true);
        var x = Tensor.FromArray(a.Data, a.Shape);
        foreach (int axis in Axes(a.Shape.Length))
        {
            var ours = x.ArgMax(axis, keepDim);
            var theirs = t.argmax(axis, keepDim);
            Assert.Equal(ShapeOf(theirs), ours.ShapeArray());
            Assert.True(ToLongs(theirs).SequenceEqual(ours.ToArray().Select(v => (long)v)),
                $"ArgMax({axis}, keepDim={keepDim}) of {a} (seed {seed}): expected [{string.Join(", ", ToLongs(theirs))}], " +
                    $"got [{string.Join(", ", ours.ToArray())}]");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SumAndMeanOfEverything(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -2, 2);
        Check("Sum()", seed, [a], x => x[0].Sum(), x => x[0].sum());
        Check("Mean()", seed, [a], x => x[0].Mean(), x => x[0].mean());
    }

    /// <summary>Reductions of a permuted (non-contiguous) view.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void ReductionsOfPermutedView(int seed)
    {
        int[] shape = RandomShape(new Random(seed), 3, maxSize: 6);
        var a = Input.Random(seed, shape, -2, 2);
        for (int axis = 0; axis < 3; axis++)
        {
            Check($"Sum({axis}) of permute(2,0,1)", seed, [a], x => x[0].Permute(2, 0, 1).Sum(axis), x => x[0].permute(2, 0, 1).sum(axis));
            Check($"Max({axis}) of permute(2,0,1)", seed, [a], x => x[0].Permute(2, 0, 1).Max(axis),
                x => x[0].permute(2, 0, 1).max(axis).values);
            Check($"Softmax({axis}) of permute(2,0,1)", seed, [a], x => x[0].Permute(2, 0, 1).Softmax(axis),
                x => x[0].permute(2, 0, 1).softmax(axis));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SoftmaxOverEachAxis(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -4, 4);
        foreach (int axis in Axes(shape.Length))
            Check($"Softmax({axis})", seed, [a], x => x[0].Softmax(axis), x => x[0].softmax(axis));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void LogSoftmaxOverEachAxis(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape, -4, 4);
        foreach (int axis in Axes(shape.Length))
            Check($"LogSoftmax({axis})", seed, [a], x => x[0].LogSoftmax(axis), x => x[0].log_softmax(axis));
    }

    /// <summary>Large logits (a naive exp would overflow) and −1e9 masking, as attention uses them.</summary>
    [Fact]
    public void SoftmaxIsStableForLargeAndMaskedLogits()
    {
        float[] logits = [1000f, 999f, 990f, -1e9f, 50f, -50f, -1e9f, 0f, 88f, 89f, 90f, -1e9f];
        var a = new Input(logits, [3, 4]);
        Check("Softmax of large logits", 1, [a], x => x[0].Softmax(-1), x => x[0].softmax(-1), atol: 1e-6);
        Check("LogSoftmax of large logits", 1, [a], x => x[0].LogSoftmax(-1), x => x[0].log_softmax(-1),
            rtol: 1e-6, atol: 0, gradRtol: 1e-5, gradAtol: 1e-6); // outputs near −1e9: relative tolerance only
    }
}
