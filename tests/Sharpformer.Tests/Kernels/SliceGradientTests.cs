using Sharpformer.Kernels;

namespace Sharpformer.Tests.Kernels;

public sealed class SliceGradientTests
{
    // [outer, size, inner] with the slice start:end:step of the middle axis; the result against zeros with g copied in.
    [Theory]
    [InlineData(2, 1024, 768, 1, 256, 512, 1)]   // q/k/v split off a packed projection (last axis), two threads
    [InlineData(1, 3, 768, 1, 0, 256, 1)]
    [InlineData(2, 1, 768, 256, 256, 768, 1)]    // a weight's rows (first axis)
    [InlineData(1, 40, 17, 5, 3, 16, 4)]         // a step
    [InlineData(2, 9, 10, 3, 9, 10, 1)]          // the last position only
    public void WritesZerosOutsideTheSliceAndTheGradientInside(int threads, int outer, int size, int inner, int start, int end, int step)
    {
        int count = (end - start + step - 1) / step;
        var rng = new Random(size);
        float[] g = [.. Enumerable.Range(0, outer * count * inner).Select(_ => (float)rng.NextDouble() + 1f)];
        float[] full = [.. Enumerable.Repeat(float.NaN, outer * size * inner)];   // whatever the buffer held before
        KernelThreads.With(threads, () => SliceGradient.Run(g, full, outer, size, inner, start, end, step));
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < size; i++)
                for (int j = 0; j < inner; j++)
                {
                    bool inside = i >= start && i < end && (i - start) % step == 0;
                    float expected = inside ? g[(o * count + (i - start) / step) * inner + j] : 0f;
                    Assert.Equal(expected, full[(o * size + i) * inner + j]);
                }
    }
}
