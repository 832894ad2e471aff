using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

public sealed class LinearEpilogueTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void ForwardAddsTheBiasToEveryRowThenAppliesReLU(int threads, bool relu)
    {
        const int rows = 300, width = 200, offset = 5;
        var rng = new Random(1);
        float[] y = Random(rng, offset + rows * width), bias = Random(rng, 3 + width);
        float[] before = (float[])y.Clone();
        KernelThreads.With(threads, () => LinearEpilogue.Forward(y, offset, rows, width, bias, 3, relu));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < width; c++)
            {
                float sum = before[offset + r * width + c] + bias[3 + c];
                Assert.Equal(relu ? MathF.Max(0, sum) : sum, y[offset + r * width + c]);
            }
        Assert.Equal(before.AsSpan(0, offset).ToArray(), y.AsSpan(0, offset).ToArray());
    }

    [Fact]
    public void BackwardMasksByTheOutputsSignAndSumsTheRowsInOrderOnAnyThreadCount()
    {
        const int rows = 1024, width = 1000;
        var rng = new Random(2);
        float[] g = Random(rng, 7 + rows * width), y = Random(rng, rows * width);
        (float[] Masked, float[] Db) Run(int threads, bool relu)
        {
            float[] masked = new float[rows * width], db = new float[width];
            KernelThreads.With(threads, () => LinearEpilogue.Backward(g, 7, rows, width, relu, y, 0, false, relu ? masked : null, db));
            return (masked, db);
        }
        var (masked, db) = Run(1, relu: true);
        for (int c = 0; c < width; c++)
        {
            float sum = 0;   // the reference: rows added in order
            for (int r = 0; r < rows; r++)
            {
                float expected = y[r * width + c] > 0 ? g[7 + r * width + c] : 0f;
                Assert.Equal(expected, masked[r * width + c]);
                sum += expected;
            }
            Assert.Equal(sum, db[c]);
        }
        var two = Run(2, relu: true);
        Assert.Equal(masked, two.Masked);
        Assert.Equal(db, two.Db);
        var plain = Run(2, relu: false).Db;   // no ReLU: the plain row sums
        for (int c = 0; c < width; c++)
        {
            float sum = 0;
            for (int r = 0; r < rows; r++) sum += g[7 + r * width + c];
            Assert.Equal(sum, plain[c]);
        }
    }

    private static float[] Random(Random rng, int length) =>
        [.. Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
}
