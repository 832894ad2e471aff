using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Tensor.Rope against rotary embeddings written with torch ops the way LLaMA's reference code writes them
/// (inverse frequencies, cos/sin of the outer product, rotate_half), forward and gradients.
/// </summary>
public class RopeParityTests
{
    // x: [..., T at positionDim, ..., d] rotated at positions offset … offset + T − 1.
    private static TorchTensor TorchRope(TorchTensor x, int positionDim, int offset, double theta)
    {
        long d = x.shape[^1], t = x.shape[positionDim];
        var inverseFrequency = 1.0 / torch.pow(theta, torch.arange(0, d, 2, dtype: x.dtype) / d);
        var positions = torch.arange(offset, offset + t, dtype: x.dtype);
        var angles = torch.outer(positions, inverseFrequency);                 // [T, d/2]
        var embedding = torch.cat([angles, angles], -1);                       // [T, d]
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[positionDim] = t;
        shape[^1] = d;
        var (cos, sin) = (embedding.cos().reshape(shape), embedding.sin().reshape(shape));
        var halves = x.chunk(2, -1);
        var rotated = torch.cat([-halves[1], halves[0]], -1);                  // rotate_half
        return x * cos + rotated * sin;
    }

    [Theory]
    [InlineData(1, new[] { 2, 7, 3, 8 }, 5, 10000f)]
    [InlineData(2, new[] { 2, 3, 9, 16 }, 0, 500f)]
    [InlineData(0, new[] { 130, 64 }, 1000, 10000f)]
    public void MatchesTheLlamaFormulation(int positionDim, int[] shape, int offset, float theta) =>
        OpParity.Check($"Rope dim {positionDim} offset {offset} θ {theta}", offset + positionDim,
            [Input.Random(positionDim * 10 + 1, shape, -2f, 2f)],
            x => x[0].Rope(positionDim, offset, theta),
            x => TorchRope(x[0], positionDim, offset, theta),
            rtol: 1e-5, atol: 2e-5);
}
