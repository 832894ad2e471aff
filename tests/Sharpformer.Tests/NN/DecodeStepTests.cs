using Sharpformer.Autograd;
using Sharpformer.Kernels;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

public class DecodeStepTests
{
    [Fact]
    public void CacheGrowsAndReordersAsConcatAndIndexSelectWould()
    {
        var rng = new Rng(5);
        var cache = new AttentionCache();
        Tensor? keys = null, values = null;
        int rows = 3;
        // 40 single positions and one block of 5: the capacity doubles 16 → 32 → 64 on the way.
        for (int step = 0; step < 41; step++)
        {
            int n = step == 20 ? 5 : 1;
            var k = Tensor.Normal([rows, 2, n, 4], rng);
            var v = Tensor.Normal([rows, 2, n, 4], rng);
            cache.Append(k, v);
            keys = keys is null ? k : Tensor.Concat([keys, k], 2);
            values = values is null ? v : Tensor.Concat([values, v], 2);
            if (step % 7 == 6)
            {
                // Rows leave (steps 13 and 34: moved up in place, the buffers then grow and reorder as before), beams are
                // reordered and repeated, and at step 27 their number grows.
                int[] order = step switch
                {
                    13 => [0, 2],
                    27 => [1, 1, 0, 1],
                    34 => [0, 3],
                    _ => [.. Enumerable.Range(0, rows).Select(r => (r * 2 + 1) % rows)],
                };
                cache.Reorder(order);
                (keys, values, rows) = (keys.IndexSelect(0, order), values.IndexSelect(0, order), order.Length);
            }
            Assert.Equal(keys.ShapeArray(), cache.Keys!.ShapeArray());
            Assert.Equal(keys.ToArray(), cache.Keys!.ToArray());
            Assert.Equal(values.ToArray(), cache.Values!.ToArray());
        }
        Assert.Equal(45, cache.Length);
        Assert.Equal(64, cache.Capacity);
    }

    [Fact]
    public void AppendingAPositionFromProjectionRowsMatchesAppendingHeads()
    {
        // Rows of [q | k | v] with heads side by side, as a step projects them: row stride 3·H·d.
        int rows = 2, heads = 3, width = 4, e = heads * width;
        var projected = Tensor.Normal([rows, 1, 3 * e], new Rng(8));
        var viaTensors = new AttentionCache();
        var viaRows = new AttentionCache();
        for (int step = 0; step < 3; step++)
        {
            Tensor Heads(int part) => projected.Narrow(-1, part * e, e).Reshape(rows, 1, heads, width).Transpose(1, 2);
            viaTensors.Append(Heads(1), Heads(2));
            var p = projected.ToArray();
            viaRows.AppendPosition(p.AsSpan(e), p.AsSpan(2 * e), 3 * e, rows, heads, width);
        }
        Assert.Equal(viaTensors.Keys!.ToArray(), viaRows.Keys!.ToArray());
        Assert.Equal(viaTensors.Values!.ToArray(), viaRows.Values!.ToArray());
        Assert.Throws<ShapeMismatchException>(
            () => viaRows.AppendPosition(new float[3 * e], new float[3 * e], 3 * e, rows, heads + 1, width));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttentionStepKernelMatchesTheGeneralPath(bool masked)
    {
        int rows = 2, heads = 3, d = 8, length = 11, capacity = 16;
        var rng = new Rng(13);
        var q = Tensor.Normal([rows, heads, 1, d], rng);
        var k = Tensor.Normal([rows, heads, length, d], rng);
        var v = Tensor.Normal([rows, heads, length, d], rng);
        var blocked = new float[rows * length];
        blocked[3] = blocked[4] = blocked[length + 10] = 1;                        // keys 3, 4 of row 0 and 10 of row 1
        var mask = masked ? AttentionMask.FromBoolean(Tensor.FromArray(blocked, rows, 1, 1, length)) : null;

        // Reference: softmax(q·kᵀ/√d + mask)·v with tensor ops.
        var scores = q.MatMul(k.Transpose(-2, -1)) * (1f / MathF.Sqrt(d));
        if (mask is not null) scores = scores + mask.Additive;
        var expected = scores.Softmax(-1).MatMul(v).ToArray();                    // [B, H, 1, d] = [B, H·d]

        // The kernel reads the caches in place: positions past `length` hold NaN and must not be read.
        float[] Buffer(Tensor t)
        {
            var buffer = Enumerable.Repeat(float.NaN, rows * heads * capacity * d).ToArray();
            var values = t.ToArray();
            for (int head = 0; head < rows * heads; head++)
                values.AsSpan(head * length * d, length * d).CopyTo(buffer.AsSpan(head * capacity * d));
            return buffer;
        }
        var maskRows = masked ? mask!.Additive.Expand(rows, heads, 1, length).ToArray() : [];
        var output = new float[rows * heads * d];
        AttentionStep.Run(q.ToArray(), heads * d, Buffer(k), Buffer(v), rows, heads, capacity, length, d, 1f / MathF.Sqrt(d),
            maskRows, output);

        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(output[i] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: {output[i]} vs {expected[i]}");
        if (masked)
        {
            // With every key blocked the weights are 0/0, as in the general path.
            var allBlocked = Enumerable.Repeat(float.NegativeInfinity, rows * heads * length).ToArray();
            AttentionStep.Run(q.ToArray(), heads * d, Buffer(k), Buffer(v), rows, heads, capacity, length, d, 1f, allBlocked, output);
            Assert.All(output, x => Assert.True(float.IsNaN(x)));
        }
    }

    [Theory]
    [InlineData(NormPlacement.Post)]
    [InlineData(NormPlacement.Pre)]
    public void LayerStepsGiveTheLastPositionOfTheFullForward(NormPlacement norm)
    {
        var rng = new Rng(21);
        var layer = new DecoderLayer(12, 3, 20, 0.1f, ActivationKind.Gelu, norm, rng);
        layer.Eval();
        int rows = 2, length = 6;
        var x = Tensor.Normal([rows, length, 12], rng);
        var memory = Tensor.Normal([rows, 5, 12], rng);
        var memoryMask = AttentionMask.KeyPadding(Tensor.FromArray([3, 4, 5, 6, 7, 3, 4, 0, 0, 0], rows, 5), padId: 0);
        using var _ = GradMode.NoGrad();
        var full = layer.Forward(x, memory, AttentionMask.Causal(length), memoryMask).Output;   // [B, T, E]
        var self = new AttentionCache();
        var cross = new AttentionCache();
        for (int t = 0; t < length; t++)
        {
            var step = layer.ForwardStep(x.Narrow(1, t, 1), memory, self, cross, memoryMask).ToArray();
            var expected = full.Narrow(1, t, 1).ToArray();
            for (int i = 0; i < step.Length; i++)
                Assert.True(Math.Abs(step[i] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])),
                    $"position {t}, element {i}: {step[i]} vs {expected[i]}");
        }
        Assert.Equal(length, self.Length);
        Assert.Equal(5, cross.Length);
    }

    [Fact]
    public void StepsRefuseToRunWhileDropoutIsActive()
    {
        var model = new Transformer(TransformerConfig.Tiny(20) with { Dropout = 0.1f }, new Rng(2));
        var source = Tensor.FromArray([5, 6, 7], 1, 3);
        var memory = model.Encode(source);
        var error = Assert.Throws<InvalidOperationException>(
            () => model.DecodeStep(Tensor.FromArray([1f]), memory, null, model.NewCache()));
        Assert.Contains("Eval()", error.Message);
        model.Eval();
        Assert.Equal([1, 20], model.DecodeStep(Tensor.FromArray([1f]), memory, null, model.NewCache()).ShapeArray());
        Assert.Throws<ArgumentException>(() => model.DecodeStep(Tensor.FromArray([1.5f]), memory, null, model.NewCache()));
    }
}
