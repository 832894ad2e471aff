using System.Globalization;
using Sharpformer.Tensors;

namespace Sharpformer.Autograd;

/// <summary>
/// The outcome of a gradient check. <paramref name="WorstRatio"/> is the largest error divided by its
/// tolerance (the check passes when it is at most 1); <paramref name="Report"/> names that element.
/// </summary>
public sealed record GradCheckResult(bool Passed, double WorstRatio, string Report)
{
    /// <inheritdoc/>
    public override string ToString() => Report;
}

/// <summary>
/// Compares the gradients autograd computes with central finite differences. The function's output is
/// reduced to L = Σ f(x)·r with fixed random weights r, so every output element is checked at once.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks dL/dx for every element of every input (leaf tensors that require grad). An element passes
    /// when |analytic − numeric| ≤ atol + rtol·|numeric|. Float32 forward passes limit the precision of
    /// the numeric side: use small inputs, eps around 1e-2, and keep away from kinks (relu at 0, max ties).
    /// </summary>
    public static GradCheckResult Run(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, double atol = 1e-3, double rtol = 1e-2,
        ulong seed = 1)
    {
        foreach (var x in inputs)
        {
            if (!x.IsLeaf || !x.RequiresGrad || !x.IsContiguous)
                throw new ArgumentException("GradCheck: every input must be a contiguous leaf tensor with RequiresGrad set");
            x.ZeroGrad();
        }
        var y = f(inputs);
        var weights = Tensor.Uniform(y.ShapeArray(), new Rng(seed), -1f, 1f);
        y.Backward(weights);
        var r = weights.ToArray();

        double worst = 0;
        string where = "no elements";
        using var _ = GradMode.NoGrad();
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            var analytic = x.Grad?.ToArray() ?? new float[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                int at = x.Offset + j;
                float original = x.Storage[at];
                x.Storage[at] = original + eps;
                double plus = Weighted(f(inputs), r);
                x.Storage[at] = original - eps;
                double minus = Weighted(f(inputs), r);
                x.Storage[at] = original;
                double numeric = (plus - minus) / (2.0 * eps);
                double error = Math.Abs(analytic[j] - numeric);
                double ratio = error / (atol + rtol * Math.Abs(numeric));
                if (!double.IsFinite(ratio)) ratio = double.PositiveInfinity;   // a NaN or infinite gradient fails, never slips by
                if (ratio >= worst)
                {
                    worst = ratio;
                    where = string.Create(CultureInfo.InvariantCulture,
                        $"input {i} element {j}: analytic {analytic[j]:G6}, numeric {numeric:G6}, error {error:G3} ({
                            ratio:F2} of tolerance)");
                }
            }
        }
        bool passed = worst <= 1;
        return new GradCheckResult(passed, worst, $"grad check {(passed ? "passed" : "FAILED")}; worst {where}");
    }

    private static double Weighted(Tensor y, float[] r)
    {
        var v = y.ToArray();
        double s = 0;
        for (int k = 0; k < v.Length; k++) s += (double)v[k] * r[k];
        return s;
    }
}
