using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;

namespace Sharpformer.Parity.Tests;

/// <summary>IndexSelect, Gather, Concat, Split: values and (scattered, accumulated) gradients.</summary>
public class IndexingParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3, 4 };

    static int[] ShapeFor(int seed) => RandomShape(new Random(seed * 17), 1 + (seed - 1) % 4, maxSize: 5);

    /// <summary>Random indices below <paramref name="size"/>, with repeats likely (gradients must add up).</summary>
    static int[] RandomIndices(Random rng, int count, int size) => Enumerable.Range(0, count).Select(_ => rng.Next(size)).ToArray();

    [Theory]
    [MemberData(nameof(Seeds))]
    public void IndexSelectOnEachAxis(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            int[] ids = RandomIndices(rng, rng.Next(1, 7), shape[axis]);
            string what = $"IndexSelect({axis}, [{string.Join(", ", ids)}])";
            Check(what, seed, [a], x => x[0].IndexSelect(axis, ids),
                x => x[0].index_select(axis, ToTorch(ids.Select(i => (long)i).ToArray(), [ids.Length])));
            // The overload taking the indices as a float tensor, and a negative axis.
            Check(what + " via tensor, negative axis", seed, [a],
                x => x[0].IndexSelect(axis - shape.Length, Tensor.FromArray(ids.Select(i => (float)i).ToArray())),
                x => x[0].index_select(axis, ToTorch(ids.Select(i => (long)i).ToArray(), [ids.Length])));
        }
    }

    /// <summary>An embedding lookup: rows of a [V, D] table for a [B, T] batch of ids, on a transposed table too.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void EmbeddingLookup(int seed)
    {
        var rng = new Random(seed);
        int vocab = rng.Next(2, 12), dim = rng.Next(1, 8), batch = rng.Next(1, 4), time = rng.Next(1, 6);
        int[] ids = RandomIndices(rng, batch * time, vocab);
        var longIds = ids.Select(i => (long)i).ToArray();
        Check("embedding", seed, [Input.Random(seed, [vocab, dim])],
            x => x[0].IndexSelect(0, ids).Reshape(batch, time, dim),
            x => x[0].index_select(0, ToTorch(longIds, [ids.Length])).reshape(batch, time, dim));
        Check("embedding of a transposed table", seed, [Input.Random(seed, [dim, vocab])],
            x => x[0].Transpose(0, 1).IndexSelect(0, ids),
            x => x[0].t().index_select(0, ToTorch(longIds, [ids.Length])));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void GatherOnEachAxis(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            // Index: same rank; any size along the axis, no larger than the input elsewhere.
            int[] indexShape = shape.Select((s, d) => d == axis ? rng.Next(1, 6) : rng.Next(1, s + 1)).ToArray();
            int[] ids = RandomIndices(rng, Count(indexShape), shape[axis]);
            var longIds = ids.Select(i => (long)i).ToArray();
            var index = Tensor.FromArray(ids.Select(i => (float)i).ToArray(), indexShape);
            Check($"Gather({axis}) with index [{string.Join(", ", indexShape)}]", seed, [a],
                x => x[0].Gather(axis, index), x => x[0].gather(axis, ToTorch(longIds, indexShape)));
        }
    }

    /// <summary>Gather from a permuted view (reads through strides) along the last axis, as for picking target log-probabilities.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void GatherFromPermutedView(int seed)
    {
        var rng = new Random(seed);
        int b = rng.Next(1, 4), t = rng.Next(1, 5), v = rng.Next(2, 7);
        var logits = Input.Random(seed, [v, b, t]); // permuted to [b, t, v]
        int[] ids = RandomIndices(rng, b * t, v);
        var index = Tensor.FromArray(ids.Select(i => (float)i).ToArray(), b, t, 1);
        Check("LogSoftmax(-1).Gather(-1) of a permuted view", seed, [logits],
            x => x[0].Permute(1, 2, 0).LogSoftmax(-1).Gather(-1, index),
            x => x[0].permute(1, 2, 0).log_softmax(-1).gather(-1, ToTorch(ids.Select(i => (long)i).ToArray(), [b, t, 1])));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ConcatOnEachAxis(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            var parts = Enumerable.Range(0, 3).Select(i =>
            {
                var s = (int[])shape.Clone();
                s[axis] = rng.Next(1, 5);
                return Input.Random(seed * 10 + i, s);
            }).ToArray();
            Check($"Concat(axis {axis})", seed, parts, x => Tensor.Concat(x, axis), x => torch.cat(x, axis));
            Check($"Concat(axis {axis - shape.Length})", seed, parts, x => Tensor.Concat(x, axis - shape.Length), x => torch.cat(x, axis));
        }
    }

    /// <summary>Concat of views, including the same tensor twice (its gradient gets both parts).</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void ConcatOfViewsAndRepeats(int seed)
    {
        var rng = new Random(seed);
        int m = rng.Next(1, 5), n = rng.Next(1, 5);
        var a = Input.Random(seed * 10 + 1, [n, m]);
        var b = Input.Random(seed * 10 + 2, [m, n]);
        Check("Concat(aᵀ, b, aᵀ)", seed, [a, b], x => Tensor.Concat([x[0].Transpose(0, 1), x[1], x[0].Transpose(0, 1)], 0),
            x => torch.cat([x[0].t(), x[1], x[0].t()], 0));
        Check("Concat(aᵀ, b) on axis 1", seed, [a, b], x => Tensor.Concat([x[0].Transpose(0, 1), x[1]], 1),
            x => torch.cat([x[0].t(), x[1]], 1));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SplitBySizesOnEachAxis(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed + 1).Select(s => s + 2).ToArray();
        var a = Input.Random(seed, shape);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            // Random cut points, an empty piece allowed.
            int first = rng.Next(0, shape[axis] + 1), second = rng.Next(0, shape[axis] - first + 1);
            int[] sizes = [first, second, shape[axis] - first - second];
            CheckMany($"Split([{string.Join(", ", sizes)}], {axis})", seed, [a], x => x[0].Split(sizes, axis),
                x => x[0].split(sizes.Select(s => (long)s).ToArray(), axis));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SplitByPieceSizeOnEachAxis(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed + 1).Select(s => s + 2).ToArray();
        var a = Input.Random(seed, shape);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            int size = rng.Next(1, shape[axis] + 1);
            CheckMany($"Split({size}, {axis})", seed, [a], x => x[0].Split(size, axis), x => x[0].split(size, axis));
            // Pieces used in further math, then only some of them: the unused piece's gradient is zero.
            CheckMany($"Split({size}, {axis}) pieces through Exp, first piece only", seed, [a],
                x => [x[0].Split(size, axis)[0].Exp()], x => [x[0].split(size, axis)[0].exp()]);
        }
    }
}
