using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The fused "Add &amp; Norm" (<see cref="Tensor.AddNorm"/>) against torch.nn.functional.layer_norm(x + s·m) in float64: the
/// output and the gradients of x, s, γ and β. Torch cannot draw our mask, so m is ours (0 or 1/(1 − p), from dropout of
/// ones with the same key) and enters torch as a constant.
/// </summary>
public class AddNormParityTests
{
    [Theory]
    [InlineData(1, 0f, 1e-5f)]
    [InlineData(2, 0.1f, 1e-5f)]
    [InlineData(3, 0.3f, 1e-6f)]
    [InlineData(4, 0.5f, 1e-5f)]
    public void MatchesTorchLayerNormOfTheDroppedSum(int seed, float p, float eps)
    {
        var rng = new Random(seed);
        int n = rng.Next(8, 70);
        int[] shape = [2, rng.Next(20, 40), n];                           // over 32 rows: more than one block of rows
        float[] mask = Tensor.Ones(shape).Dropout(p, new Rng((ulong)seed)).ToArray();
        Input[] inputs =
        [
            Input.Random(seed * 10 + 1, shape, -3f, 5f), Input.Random(seed * 10 + 2, shape, -2f, 2f),
            Input.Random(seed * 10 + 3, [n], 0.5f, 1.5f), Input.Random(seed * 10 + 4, [n], -1f, 1f), new(mask, shape, Grad: false),
        ];
        Check($"AddNorm p={p} eps={eps:G2}", seed, inputs,
            x => x[0].AddNorm(x[1], x[2], x[3], eps, p, p > 0f ? new Rng((ulong)seed) : null),
            x => torch.nn.functional.layer_norm(x[0] + x[1] * x[4], [n], x[2], x[3], eps));
    }
}
