using Sharpformer.Exercises.Week09;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 9: the label-smoothed cross-entropy and AdamW, against their formulas and PyTorch.</summary>
[Trait("Week", "9")]
public sealed class Week09Tests
{
    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(0.1f, 1f)]
    [InlineData(0.1f, 1000f)]
    public void CrossEntropyMatchesTheDefinition(float smoothing, float scale)
    {
        const int rows = 4, classes = 7;
        float[] logits = [.. Grading.Normal(rows * classes, 30).Select(v => v * scale)];
        int[] targets = [0, 6, 3, 3];
        double expected = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes).ToArray().Select(v => (double)v).ToArray();
            double max = row.Max(), logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            double nll = logSum - row[targets[r]], uniform = row.Sum(v => logSum - v) / classes;
            expected += ((1 - smoothing) * nll + smoothing * uniform) / rows;
        }
        float loss = Optimization.CrossEntropy(logits, targets, rows, classes, smoothing);
        Assert.True(float.IsFinite(loss), $"the loss is {loss}: use the log-sum-exp trick");
        Assert.Equal(expected, loss, 1e-3 * (1 + Math.Abs(expected)));
    }

    [Fact]
    public void CrossEntropyMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week09.cross_entropy");
        var logits = e["logits"];
        float loss = Optimization.CrossEntropy(logits.Data, e["targets"].Ints(), logits.Shape[0], logits.Shape[1], e["smoothing"].Data[0]);
        Grading.Close(e["loss"].Data, [loss], "torch.nn.functional.cross_entropy(label_smoothing=0.1)");
    }

    [Fact]
    public void AdamWMatchesTheFormula()
    {
        const float lr = 0.05f, beta1 = 0.9f, beta2 = 0.98f, eps = 1e-9f, decay = 0.1f;
        float[] initial = Grading.Normal(5, 31);
        float[][] gradients = [.. Enumerable.Range(0, 4).Select(s => Grading.Normal(5, 40 + (ulong)s))];
        var p = initial.Select(v => (double)v).ToArray();
        var (m, v) = (new double[5], new double[5]);
        for (int t = 1; t <= gradients.Length; t++)
            for (int i = 0; i < 5; i++)
            {
                double g = gradients[t - 1][i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                p[i] *= 1 - lr * decay;
                p[i] -= lr * (m[i] / (1 - Math.Pow(beta1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(beta2, t))) + eps);
            }
        Grading.Close(p, Optimization.AdamW(initial, gradients, lr, beta1, beta2, eps, decay), "parameters after 4 steps");
    }

    [Fact]
    public void AdamWMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week09.adamw");
        var (grads, s) = (e["gradients"], e["settings"].Data);    // settings: lr, β₁, β₂, ε, λ
        int size = grads.Shape[1];
        float[][] gradients = [.. Enumerable.Range(0, grads.Shape[0]).Select(r => grads.Data.AsSpan(r * size, size).ToArray())];
        Grading.Close(e["out"].Data, Optimization.AdamW(e["initial"].Data, gradients, s[0], s[1], s[2], s[3], s[4]), "torch.optim.AdamW");
    }
}
