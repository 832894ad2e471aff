using Sharpformer.Exercises.Week06;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 6: the layer norm, forward against its definition and PyTorch, backward against finite differences.</summary>
[Trait("Week", "6")]
public sealed class Week06Tests
{
    private const int Rows = 3, Columns = 6;
    private const float Eps = 1e-5f;

    [Fact]
    public void ForwardMatchesTheDefinition()
    {
        float[] x = Grading.Normal(Rows * Columns, 20, std: 3), gamma = Grading.Normal(Columns, 21), beta = Grading.Normal(Columns, 22);
        Grading.Close(Reference(D(x), D(gamma), D(beta)), LayerNorm.Forward(x, gamma, beta, Rows, Columns, Eps), "layer norm");
    }

    [Fact]
    public void ForwardMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week06.layernorm");
        var x = e["x"];
        Grading.Close(e["out"].Data, LayerNorm.Forward(x.Data, e["gamma"].Data, e["beta"].Data, x.Shape[0], x.Shape[1], Eps),
            "torch.nn.functional.layer_norm");
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        float[] x = Grading.Normal(Rows * Columns, 23), gamma = Grading.Normal(Columns, 24), g = Grading.Normal(Rows * Columns, 25);
        float[] beta = new float[Columns];
        var (gradX, gradGamma, gradBeta) = LayerNorm.Backward(x, gamma, g, Rows, Columns, Eps);
        Grading.Close(Grading.NumericGradient(p => Grading.Dot(g, Reference(p, D(gamma), D(beta))), x), gradX, "dL/dx", 1e-3f);
        Grading.Close(Grading.NumericGradient(p => Grading.Dot(g, Reference(D(x), p, D(beta))), gamma), gradGamma, "dL/dγ", 1e-3f);
        Grading.Close(Grading.NumericGradient(p => Grading.Dot(g, Reference(D(x), D(gamma), p)), beta), gradBeta, "dL/dβ", 1e-3f);
    }

    [Fact]
    public void BackwardMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week06.layernorm");
        var x = e["x"];
        var (gradX, gradGamma, gradBeta) = LayerNorm.Backward(x.Data, e["gamma"].Data, e["grad_out"].Data, x.Shape[0], x.Shape[1], Eps);
        Grading.Close(e["grad_x"].Data, gradX, "x.grad");
        Grading.Close(e["grad_gamma"].Data, gradGamma, "weight.grad");
        Grading.Close(e["grad_beta"].Data, gradBeta, "bias.grad");
    }

    private static double[] D(float[] values) => [.. values.Select(v => (double)v)];

    // The layer norm in double.
    private static double[] Reference(double[] x, double[] gamma, double[] beta)
    {
        var y = new double[x.Length];
        for (int r = 0; r < Rows; r++)
        {
            var row = x.AsSpan(r * Columns, Columns);
            double mean = 0, variance = 0;
            foreach (double v in row) mean += v / Columns;
            foreach (double v in row) variance += (v - mean) * (v - mean) / Columns;
            for (int c = 0; c < Columns; c++) y[r * Columns + c] = (row[c] - mean) / Math.Sqrt(variance + Eps) * gamma[c] + beta[c];
        }
        return y;
    }
}
