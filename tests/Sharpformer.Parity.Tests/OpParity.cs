using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>One input of an op under test: its values, its shape, and whether its gradient is checked.</summary>
public sealed record Input(float[] Data, int[] Shape, bool Grad = true)
{
    /// <summary>Uniform random values in [low, high) for a shape.</summary>
    public static Input Random(int seed, int[] shape, float low = -1f, float high = 1f, bool grad = true) =>
        new(RandomFloats(seed, Count(shape), low, high), shape, grad);

    /// <summary>Random values whose magnitude lies in [low, high), with random signs (keeps divisors away from 0).</summary>
    public static Input AwayFromZero(int seed, int[] shape, float low, float high, bool grad = true)
    {
        var rng = new System.Random(seed);
        var data = new float[Count(shape)];
        for (int i = 0; i < data.Length; i++)
            data[i] = (low + (high - low) * (float)rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1);
        return new(data, shape, grad);
    }

    /// <summary>Random 0/1 values (masks and conditions); never differentiated.</summary>
    public static Input Mask(int seed, int[] shape)
    {
        var rng = new System.Random(seed);
        var data = new float[Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = rng.Next(2);
        return new(data, shape, false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{string.Join(", ", Shape)}]";
}

/// <summary>
/// Runs an op in Sharpformer (float32) and in libtorch (float64, the truth), then compares the outputs
/// and, after backpropagating random output weights (the gradient of Σ out·W), the gradient of every
/// input that asks for one.
/// </summary>
public static class OpParity
{
    /// <summary>
    /// Tolerances: |ours − torch| ≤ atol·max(1, max|torch|) + rtol·|torch| per element, separately for the
    /// outputs and for each gradient, so atol is relative to the size of the values compared.
    /// </summary>
    public static void Check(string what, int seed, Input[] inputs,
        Func<Tensor[], Tensor> ours, Func<TorchTensor[], TorchTensor> theirs,
        double rtol = 1e-5, double atol = 1e-5, double? gradRtol = null, double? gradAtol = null) =>
        CheckMany(what, seed, inputs, x => [ours(x)], x => [theirs(x)], rtol, atol, gradRtol, gradAtol);

    /// <summary>As <see cref="Check"/> for ops with several outputs (split): each output gets its own weights.</summary>
    public static void CheckMany(string what, int seed, Input[] inputs,
        Func<Tensor[], Tensor[]> ours, Func<TorchTensor[], TorchTensor[]> theirs,
        double rtol = 1e-5, double atol = 1e-5, double? gradRtol = null, double? gradAtol = null)
    {
        using var scope = torch.NewDisposeScope();
        string label = $"{what} (seed {seed}, inputs {string.Join(" ", inputs.Select(i => i.ToString()))})";

        var x = inputs.Select(i => Tensor.FromArray(i.Data, i.Shape).RequireGrad(i.Grad)).ToArray();
        var tx = inputs.Select(i => ToTorch(i.Data, i.Shape, float64: true, requiresGrad: i.Grad)).ToArray();
        Tensor[] y = ours(x);
        TorchTensor[] ty = theirs(tx);
        Assert.Equal(ty.Length, y.Length);

        for (int k = 0; k < y.Length; k++)
            AssertScaledClose(ty[k], y[k].ToArray(), y[k].ShapeArray(), rtol, atol, Name(label, "output", k, y.Length));

        if (!inputs.Any(i => i.Grad)) return;

        // d(Σₖ Σ yₖ·Wₖ)/dyₖ = Wₖ: ours backpropagates Wₖ from each output (gradients accumulate in the
        // leaves); torch differentiates the weighted sum itself.
        TorchTensor? loss = null;
        for (int k = 0; k < y.Length; k++)
        {
            int[] shape = y[k].ShapeArray();
            float[] w = RandomFloats(seed * 1009 + 77 + k, Count(shape));
            y[k].Backward(Tensor.FromArray(w, shape));
            var term = (ty[k] * ToTorch(w, shape, float64: true)).sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.backward();

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].Grad) continue;
            string name = Name(label, "gradient of input", i, inputs.Length);
            var expected = tx[i].grad ?? torch.zeros_like(tx[i]);
            var actual = x[i].Grad ?? throw new Xunit.Sdk.XunitException($"{name}: Sharpformer computed no gradient");
            AssertScaledClose(expected, actual.ToArray(), actual.ShapeArray(), gradRtol ?? rtol, gradAtol ?? atol, name);
        }
    }

    /// <summary>AssertClose with atol multiplied by max(1, largest finite |expected|).</summary>
    public static void AssertScaledClose(TorchTensor expected, float[] actual, int[] actualShape, double rtol, double atol, string what)
    {
        double scale = 1;
        foreach (double v in ToDoubles(expected))
            if (double.IsFinite(v)) scale = Math.Max(scale, Math.Abs(v));
        AssertClose(expected, actual, actualShape, rtol, atol * scale, what);
    }

    static string Name(string label, string part, int k, int count) => count == 1 ? $"{label}: {part}" : $"{label}: {part} {k}";

    // ---- random shapes ------------------------------------------------------------------------------

    /// <summary>A shape of the given rank with sizes in [1, maxSize].</summary>
    public static int[] RandomShape(System.Random rng, int rank, int maxSize = 6)
    {
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = rng.Next(1, maxSize + 1);
        return s;
    }

    /// <summary>
    /// A shape that broadcasts against <paramref name="full"/> to give <paramref name="full"/>: some leading
    /// dimensions dropped and some of the rest set to 1.
    /// </summary>
    public static int[] BroadcastableTo(System.Random rng, int[] full)
    {
        int drop = rng.Next(0, full.Length + 1);
        var s = full.Skip(drop).ToArray();
        for (int i = 0; i < s.Length; i++)
            if (rng.Next(3) == 0) s[i] = 1;
        return s;
    }
}
