using Sharpformer.Optim;
using Sharpformer.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.TorchOracle;
using Parameter = TorchSharp.Modules.Parameter;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// GradientClipping.ClipByGlobalNorm against torch.nn.utils.clip_grad_norm_ (float64 as the truth): the
/// returned norm before clipping and the gradients after, over several tensors, with and without clipping.
/// </summary>
public class ClippingParityTests(ITestOutputHelper output)
{
    static readonly int[][] Shapes = [[4, 3], [5], [2, 3, 2], [1], [3, 7]];

    /// <summary>max_norm as a multiple of the true global norm: below 1 clips, above 1 leaves the gradients alone.</summary>
    public static TheoryData<double, int> Cases()
    {
        var data = new TheoryData<double, int>();
        foreach (double factor in new[] { 0.01, 0.5, 0.999, 1.001, 2, 100 })
            foreach (int seed in new[] { 1, 2, 3 })
                data.Add(factor, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NormAndClippedGradientsMatchTorch(double factor, int seed)
    {
        using var scope = torch.NewDisposeScope();
        string what = $"clip to {factor}·‖g‖ (seed {seed})";
        float[] gradScale = [1f, 5f, 1e-3f, 0.2f, 1f];
        var ours = new Tensor[Shapes.Length];
        var theirs = new Parameter[Shapes.Length];
        var grads = new float[Shapes.Length][];
        for (int i = 0; i < Shapes.Length; i++)
        {
            float[] p = RandomFloats(seed * 100 + i, Count(Shapes[i]));
            grads[i] = RandomFloats(seed * 100 + 50 + i, Count(Shapes[i])).Select(v => v * gradScale[i]).ToArray();
            ours[i] = Tensor.FromArray(p, Shapes[i]).RequireGrad();
            theirs[i] = torch.nn.Parameter(ToTorch(p, Shapes[i], float64: true));
            // The fourth tensor has no gradient: both sides skip it.
            if (i == 3) continue;
            ours[i].Grad = Tensor.FromArray((float[])grads[i].Clone(), Shapes[i]);
            theirs[i].grad = ToTorch(grads[i], Shapes[i], float64: true);
        }
        double trueNorm = Math.Sqrt(grads.Where((_, i) => i != 3).SelectMany(g => g).Sum(v => (double)v * v));
        float maxNorm = (float)(factor * trueNorm);

        float norm = GradientClipping.ClipByGlobalNorm(ours, maxNorm);
        double expectedNorm = torch.nn.utils.clip_grad_norm_(theirs, maxNorm);

        double normError = Math.Abs(norm - expectedNorm) / expectedNorm;
        Assert.True(normError <= 1e-6, $"{what}: norm {norm:G9}, torch {expectedNorm:G9} (relative error {normError:G3})");
        Assert.Null(ours[3].Grad);

        double worst = 0;
        for (int i = 0; i < Shapes.Length; i++)
        {
            if (i == 3) continue;
            float[] actual = ours[i].Grad!.ToArray();
            double[] expected = ToDoubles(theirs[i].grad!);
            double scale = expected.Max(Math.Abs);
            AssertClose(expected, actual, 1e-6, 1e-6 * scale, $"{what}: gradient {i}", Shapes[i]);
            worst = Math.Max(worst, expected.Select((e, j) => Math.Abs(actual[j] - e)).Max() / scale);
            if (factor > 1) Assert.Equal(grads[i], actual); // not clipped: untouched, bit for bit
        }
        output.WriteLine($"{what}: norm relative error {normError:G3}, clipped gradients max |Δ| / max|g| {worst:G3}");
    }

    /// <summary>A non-finite gradient gives a non-finite norm on both sides (the trainer stops on it).</summary>
    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void NonFiniteGradientGivesNonFiniteNorm(float bad)
    {
        using var scope = torch.NewDisposeScope();
        float[] g = RandomFloats(4, 6);
        g[2] = bad;
        var ours = Tensor.FromArray(new float[6], 2, 3).RequireGrad();
        ours.Grad = Tensor.FromArray((float[])g.Clone(), 2, 3);
        var theirs = torch.nn.Parameter(torch.zeros(2, 3, torch.float64));
        theirs.grad = ToTorch(g, [2, 3], float64: true);

        float norm = GradientClipping.ClipByGlobalNorm([ours], 1f);
        double expected = torch.nn.utils.clip_grad_norm_([theirs], 1.0);
        Assert.Equal(double.IsNaN(expected), float.IsNaN(norm));
        Assert.Equal(double.IsPositiveInfinity(expected), float.IsPositiveInfinity(norm));
        Assert.False(float.IsFinite(norm));
    }
}
