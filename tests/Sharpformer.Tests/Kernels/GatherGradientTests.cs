using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

public sealed class GatherGradientTests
{
    // An embedding table's gradient: [8000, 256] from 1,024 looked-up rows, some indices repeated; and a middle axis.
    [Theory]
    [InlineData(1, 1, 8000, 256, 1024)]
    [InlineData(2, 1, 8000, 256, 1024)]
    [InlineData(2, 3, 10, 130, 25)]
    [InlineData(2, 4, 6, 1, 9)]
    public void SumsEachIndexsRowsInOrderIntoZeros(int threads, int outer, int n, int inner, int count)
    {
        var rng = new Random(n + count);
        int[] ids = [.. Enumerable.Range(0, count).Select(_ => rng.Next(Math.Min(n, 40)))];   // repeats certain
        float[] g = [.. Enumerable.Range(0, outer * count * inner).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] dx = [.. Enumerable.Repeat(float.NaN, outer * n * inner)];   // whatever the buffer held before
        KernelThreads.With(threads, () => GatherGradient.Run(g, dx, outer, n, inner, ids));
        float[] expected = new float[dx.Length];   // the reference: index by index, in order
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < count; j++)
                for (int c = 0; c < inner; c++)
                    expected[(o * n + ids[j]) * inner + c] += g[(o * count + j) * inner + c];
        Assert.Equal(expected, dx);
    }
}
