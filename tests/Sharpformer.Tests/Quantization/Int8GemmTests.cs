using Sharpformer.Kernels;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Quantization;

/// <summary>
/// The int8 products against double-precision references: the float path against the dequantized weights, the
/// VPDPBUSD path against the same integer arithmetic and, within the error of quantizing the activations, against floats.
/// </summary>
public unsafe class Int8GemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 16, 64 }, { 1, 70, 257 }, { 2, 64, 256 }, { 3, 17, 3 }, { 5, 130, 100 }, { 8, 200, 64 }, { 1, 1000, 512 },
        { 9, 33, 48 }, { 40, 300, 96 },
    };

    private static (QuantizedMatrix W, float[] X, float[] Y) Operands(int m, int n, int k, int seed)
    {
        var random = new Random(seed);
        var w = Tensor.FromArray([.. Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 2 - 1))], n, k);
        var x = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var y = Enumerable.Range(0, m * n).Select(_ => (float)random.NextDouble()).ToArray();
        return (QuantizedMatrix.Quantize(w), x, y);
    }

    // y + x·(scale ⊙ q)ᵀ in double, with the weights exactly as stored.
    private static double[] FloatReference(QuantizedMatrix w, float[] x, float[] y, int m, float beta)
    {
        var dq = w.Dequantize().ToArray();
        int n = w.Rows, k = w.Columns;
        var expected = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int c = 0; c < k; c++) sum += (double)x[i * k + c] * dq[j * k + c];
                expected[i * n + j] = sum + beta * y[i * n + j];
            }
        return expected;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFloatPathMultipliesTheDequantizedWeights(int m, int n, int k)
    {
        foreach (float beta in new[] { 0f, 1f })
        {
            var (w, x, y) = Operands(m, n, k, seed: m * 7 + n * 13 + k);
            var expected = FloatReference(w, x, y, m, beta);
            if (beta == 0) Array.Fill(y, float.NaN);                  // β = 0 never reads y
            fixed (float* px = x, py = y) Int8Gemm.RunDequantized(m, w.Operand, px, k, beta, py, n);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y[i], 1e-4 * (1 + Math.Abs(expected[i])));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheFewRowsPathMultipliesTheDequantizedWeights(int m, int n, int k)
    {
        if (!Int8FewRows.Supported || m > Int8FewRows.MaxRows) return;   // a CPU without AVX2 and FMA, or a shape it does not take
        foreach (float beta in new[] { 0f, 1f })
            foreach (int threads in new[] { 1, 2 })
            {
                var (w, x, y) = Operands(m, n, k, seed: m * 7 + n * 13 + k);
                var expected = FloatReference(w, x, y, m, beta);
                if (beta == 0) Array.Fill(y, float.NaN);              // β = 0 never reads y
                // Each row of x is followed by NaNs that the padded last group must not read.
                var strided = Enumerable.Range(0, m).SelectMany(i => x.Skip(i * k).Take(k).Append(float.NaN)).ToArray();
                fixed (float* px = strided, py = y) Int8FewRows.Run(m, w.Operand, px, k + 1, beta, py, n, threads);
                for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y[i], 1e-4 * (1 + Math.Abs(expected[i])));
            }
    }

    [Int8DirectTheory]
    [MemberData(nameof(Shapes))]
    public void TheInt8PathComputesTheIntegerProductExactly(int m, int n, int k)
    {
        foreach (int threads in new[] { 1, 2 })
            foreach (float beta in new[] { 0f, 1f })
            {
                var (w, x, y) = Operands(m, n, k, seed: m * 5 + n * 11 + k);
                var values = new sbyte[n * k];
                w.CopyValuesTo(values);
                var expected = new double[m * n];
                for (int i = 0; i < m; i++)
                {
                    // The activations as the kernel quantizes them: levels of max |x| / 127, halves to even.
                    var row = x.AsSpan(i * k, k);
                    float max = 0f;
                    foreach (float v in row) max = MathF.Max(max, MathF.Abs(v));
                    float scale = max / 127f, inverse = 1f / scale;
                    for (int j = 0; j < n; j++)
                    {
                        long dot = 0;
                        for (int c = 0; c < k; c++) dot += (long)MathF.Round(row[c] * inverse) * values[j * k + c];
                        expected[i * n + j] = (double)scale * w.Scales[j] * dot + beta * y[i * n + j];
                    }
                }
                if (beta == 0) Array.Fill(y, float.NaN);
                fixed (float* px = x, py = y) Int8Gemm.RunDirect(m, w.Operand, px, k, beta, py, n, threads);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-5 * (1 + Math.Abs(expected[i])),
                        $"[{i / n}, {i % n}] of {m}×{n}×{k}, {threads} thread(s), β = {beta}: {y[i]} vs {expected[i]}");
            }
    }

    [Int8DirectTheory]
    [MemberData(nameof(Shapes))]
    public void TheInt8PathIsWithinTheActivationRoundingOfTheFloatProduct(int m, int n, int k)
    {
        var (w, x, y) = Operands(m, n, k, seed: m + n + k);
        var expected = FloatReference(w, x, y, m, 0f);
        fixed (float* px = x, py = y) Int8Gemm.RunDirect(m, w.Operand, px, k, 0f, py, n, threads: 1);
        var dq = w.Dequantize().ToArray();
        for (int i = 0; i < m; i++)
        {
            float max = x.Skip(i * k).Take(k).Max(MathF.Abs);
            for (int j = 0; j < n; j++)
            {
                // Each activation moves by at most half a level: |error| ≤ (max |x| / 254)·Σ_c |w[j, c]|.
                double bound = max / 254.0 * dq.Skip(j * k).Take(k).Sum(v => Math.Abs((double)v)) * (1 + 1e-4) + 1e-6;
                Assert.True(Math.Abs(expected[i * n + j] - y[i * n + j]) <= bound,
                    $"[{i}, {j}]: {y[i * n + j]} vs {expected[i * n + j]}, bound {bound}");
            }
        }
    }

    [Int8DirectFact]
    public void ANaNActivationRowGivesNaNOutputsOnlyInItsRow()
    {
        var (w, x, y) = Operands(2, 20, 40, seed: 3);
        x[5] = float.NaN;                                            // row 0
        fixed (float* px = x, py = y) Int8Gemm.RunDirect(2, w.Operand, px, 40, 0f, py, 20, threads: 1);
        Assert.All(y[..20], v => Assert.True(float.IsNaN(v)));
        Assert.All(y[20..], v => Assert.True(float.IsFinite(v)));
    }
}

/// <summary>A fact about the VPDPBUSD path: skipped, with the reason shown, on a CPU without AVX-VNNI and AVX-512.</summary>
internal sealed class Int8DirectFactAttribute : FactAttribute
{
    internal const string Reason = "the int8 path needs AVX-VNNI and AVX-512, which this CPU lacks (its products run in float32)";

    public Int8DirectFactAttribute()
    {
        if (!Int8Gemm.DirectSupported) Skip = Reason;
    }
}

/// <summary>A theory about the VPDPBUSD path: skipped, with the reason shown, on a CPU without AVX-VNNI and AVX-512.</summary>
internal sealed class Int8DirectTheoryAttribute : TheoryAttribute
{
    public Int8DirectTheoryAttribute()
    {
        if (!Int8Gemm.DirectSupported) Skip = Int8DirectFactAttribute.Reason;
    }
}
