using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Sharpformer.Kernels;

/// <summary>
/// The elementwise work beside a Linear's products, each one parallel pass: forward, the bias added to every row of the
/// product and ReLU applied; backward, the gradient masked by ReLU's sign and summed over rows into the bias gradient.
/// Each element is computed alike whatever the split (a column's sum runs down its rows in order), so the bits do not
/// depend on the thread count.
/// </summary>
internal static class LinearEpilogue
{
    // Elements per piece of the forward pass, and columns per piece of the backward pass.
    private const int ForwardGrain = 1 << 15, ColumnGrain = 64;

    /// <summary>y[r, :] = act(y[r, :] + bias) for every row, act ReLU or the identity; no bias adds nothing.</summary>
    // y: [rows, out] at offset yOffset; bias: [out] at biasOffset
    public static void Forward(float[] y, int yOffset, int rows, int outFeatures, float[]? bias, int biasOffset, bool relu)
    {
        if (bias is null && !relu)
            return;
        var job = new ForwardJob(y, yOffset, outFeatures, bias, biasOffset, relu);
        ParallelRange.For(rows, Math.Max(1, ForwardGrain / Math.Max(1, outFeatures)), ref job);
    }

    /// <summary>
    /// With ReLU, masked = y &gt; 0 ? g : 0 (y the forward's output, read as float32 or, packed, as bfloat16); then
    /// db = Σ_rows of the gradient (masked, or g itself without ReLU) when <paramref name="db"/> is given.
    /// </summary>
    // g, masked, y: [rows, out] (y's offset counts bfloat16 values when yPacked); db: [out]
    public static void Backward(float[] g, int gOffset, int rows, int outFeatures, bool relu, float[]? y, int yOffset, bool yPacked,
        float[]? masked, float[]? db)
    {
        var job = new BackwardJob(g, gOffset, rows, outFeatures, relu, y, yOffset, yPacked, masked, db);
        ParallelRange.For(outFeatures, ColumnGrain, ref job);
    }

    private readonly struct ForwardJob(float[] y, int yOffset, int width, float[]? bias, int biasOffset, bool relu) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var row = y.AsSpan(yOffset + r * width, width);
                if (bias is not null) TensorPrimitives.Add(row, bias.AsSpan(biasOffset, width), row);
                if (relu) TensorPrimitives.Max(row, 0f, row);
            }
        }
    }

    // Columns [start, end) of every row.
    private readonly struct BackwardJob(float[] g, int gOffset, int rows, int width, bool relu, float[]? y, int yOffset, bool yPacked,
        float[]? masked, float[]? db) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int count = end - start;
            var sum = db is null ? default : db.AsSpan(start, count);
            sum.Clear();
            for (int r = 0; r < rows; r++)
            {
                int at = r * width + start;
                ReadOnlySpan<float> gradient = g.AsSpan(gOffset + at, count);
                if (relu)
                {
                    var dst = masked.AsSpan(at, count);
                    if (yPacked)
                        Activations.ReluBackward(MemoryMarshal.Cast<float, ushort>(y.AsSpan()).Slice(yOffset + at, count), gradient, dst);
                    else
                        Activations.ReluBackward(y.AsSpan(yOffset + at, count), gradient, dst);
                    gradient = dst;
                }
                if (db is not null) TensorPrimitives.Add(sum, gradient, sum);
            }
        }
    }
}
