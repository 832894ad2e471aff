using Sharpformer.Exercises.Week02;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 2: the backward of Mul, MatMul and Softmax, against finite differences and PyTorch.</summary>
[Trait("Week", "2")]
public sealed class Week02Tests
{
    [Fact]
    public void MulBackwardMatchesFiniteDifferences()
    {
        float[] a = Grading.Normal(12, 3), b = Grading.Normal(12, 4), g = Grading.Normal(12, 5);
        var (gradA, gradB) = Backward.Mul(a, b, g);
        Grading.Close(Grading.NumericGradient(x => Grading.Dot(g, [.. x.Select((v, i) => v * b[i])]), a), gradA, "dL/da");
        Grading.Close(Grading.NumericGradient(x => Grading.Dot(g, [.. x.Select((v, i) => a[i] * v)]), b), gradB, "dL/db");
    }

    [Fact]
    public void MatMulBackwardMatchesFiniteDifferences()
    {
        const int m = 3, k = 4, n = 5;
        float[] a = Grading.Normal(m * k, 6), b = Grading.Normal(k * n, 7), g = Grading.Normal(m * n, 8);
        var (gradA, gradB) = Backward.MatMul(a, b, g, m, k, n);
        Grading.Close(Grading.NumericGradient(x => Grading.Dot(g, Product(x, [.. b.Select(v => (double)v)], m, k, n)), a), gradA,
            "dL/dA");
        Grading.Close(Grading.NumericGradient(x => Grading.Dot(g, Product([.. a.Select(v => (double)v)], x, m, k, n)), b), gradB,
            "dL/dB");
    }

    [Fact]
    public void MatMulBackwardMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week02.matmul");
        var (a, b) = (e["a"], e["b"]);
        var (gradA, gradB) = Backward.MatMul(a.Data, b.Data, e["grad_out"].Data, a.Shape[0], a.Shape[1], b.Shape[1]);
        Grading.Close(e["grad_a"].Data, gradA, "a.grad");
        Grading.Close(e["grad_b"].Data, gradB, "b.grad");
    }

    [Fact]
    public void SoftmaxBackwardMatchesFiniteDifferences()
    {
        const int rows = 3, columns = 6;
        float[] x = Grading.Normal(rows * columns, 9, std: 2), g = Grading.Normal(rows * columns, 10);
        var y = Softmax([.. x.Select(v => (double)v)], rows, columns);
        var gradX = Backward.Softmax([.. y.Select(v => (float)v)], g, rows, columns);
        Grading.Close(Grading.NumericGradient(p => Grading.Dot(g, Softmax(p, rows, columns)), x), gradX, "dL/dx");
    }

    [Fact]
    public void SoftmaxBackwardMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week02.softmax");
        var y = e["y"];
        Grading.Close(e["grad_x"].Data, Backward.Softmax(y.Data, e["grad_out"].Data, y.Shape[0], y.Shape[1]), "x.grad");
    }

    // [m, k]·[k, n] in double.
    private static double[] Product(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) c[i * n + j] += a[i * k + p] * b[p * n + j];
        return c;
    }

    // Row-wise softmax in double.
    private static double[] Softmax(double[] x, int rows, int columns)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * columns, columns);
            double max = row.ToArray().Max(), sum = 0;
            for (int c = 0; c < columns; c++) sum += y[r * columns + c] = Math.Exp(row[c] - max);
            for (int c = 0; c < columns; c++) y[r * columns + c] /= sum;
        }
        return y;
    }
}
