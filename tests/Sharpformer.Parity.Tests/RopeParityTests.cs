namespace Sharpformer.Parity.Tests;

/// <summary>
/// Tensor.Rope against rotary embeddings written with torch ops the way LLaMA's reference code writes them
/// (inverse frequencies, cos/sin of the outer product, rotate_half), forward and gradients.
/// </summary>
public class RopeParityTests
{
    [Theory]
    [InlineData(1, new[] { 2, 7, 3, 8 }, 5, 10000f)]
    [InlineData(2, new[] { 2, 3, 9, 16 }, 0, 500f)]
    [InlineData(0, new[] { 130, 64 }, 1000, 10000f)]
    public void MatchesTheLlamaFormulation(int positionDim, int[] shape, int offset, float theta) =>
        OpParity.Check($"Rope dim {positionDim} offset {offset} θ {theta}", offset + positionDim,
            [Input.Random(positionDim * 10 + 1, shape, -2f, 2f)],
            x => x[0].Rope(positionDim, offset, theta),
            x => TorchRotary.Rotate(x[0], positionDim, offset, theta),
            rtol: 1e-5, atol: 2e-5);
}
