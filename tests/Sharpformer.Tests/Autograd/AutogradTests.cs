using Sharpformer.Autograd;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void ChainRuleByHand()
    {
        // y = Σ (w·x + b)²: dy/dw = 2(w·x + b)·x, dy/db = 2(w·x + b)
        var w = Tensor.FromArray([2f, -1f]).RequireGrad();
        var b = Tensor.Scalar(0.5f).RequireGrad();
        var x = Tensor.FromArray([3f, 4f]);
        var z = w.MatMul(x) + b; // 6 − 4 + 0.5 = 2.5
        (z * z).Backward();
        Assert.Equal([15f, 20f], w.Grad!.ToArray());
        Assert.Equal(5f, b.Grad!.Item());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GradientsAccumulateUntilZeroed()
    {
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        (x * 3f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([6f, 6f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * x).Sum().Backward();
        Assert.Equal([2f, 4f], x.Grad!.ToArray());
    }

    [Fact]
    public void LargeGradientsAccumulateOverThreadsElementByElement()
    {
        // Past the elementwise grain, so the sum into Grad is split over threads; a strided upstream gradient too.
        int n = 3 * Tensor.ElementwiseGrain + 17;
        var x = Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => i % 7 - 3f)]).RequireGrad();
        int before = Sharpformer.Kernels.Parallelism.Threads;
        try
        {
            Sharpformer.Kernels.Parallelism.Threads = 2;
            (x * x).Sum().Backward();
            (x * 3f).Sum().Backward();
            (x.Reshape(1, n).Transpose(0, 1) * 1f).Sum().Backward();
        }
        finally
        {
            Sharpformer.Kernels.Parallelism.Threads = before;
        }
        var grad = x.Grad!.ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(2f * (i % 7 - 3f) + 4f, grad[i]);
    }

    [Fact]
    public void DiamondGraphSumsBothPaths()
    {
        var x = Tensor.Scalar(3f).RequireGrad();
        var a = x * 2f;
        var b = x.Exp();
        (a * b).Backward(); // d/dx 2x·eˣ = 2eˣ + 2x·eˣ
        Assert.Equal(8 * MathF.Exp(3), x.Grad!.Item(), 3);
    }

    [Fact]
    public void RequiresGradPropagatesAndNoGradStopsRecording()
    {
        var p = Tensor.Ones(2).RequireGrad();
        var c = Tensor.Ones(2);
        Assert.True((p + c).RequiresGrad);
        Assert.Equal("Add", (p + c).GradFn!.Name);
        Assert.False((c * c).RequiresGrad);
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            var y = p * 2f;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void DetachCutsTheGraphButSharesData()
    {
        var x = Tensor.FromArray([1f, 2f]).RequireGrad();
        var d = (x * 2f).Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        var y = (x * d).Sum();
        y.Backward();
        Assert.Equal([2f, 4f], x.Grad!.ToArray()); // d is treated as a constant
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1f).RequireGrad();
        var y = x;
        for (int i = 0; i < 20_000; i++) y = y + 0f;
        y.Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void BackwardErrorsAreClear()
    {
        var e1 = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).Sum().Backward());
        Assert.Contains("does not require grad", e1.Message);
        var x = Tensor.Ones(2).RequireGrad();
        var e2 = Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        Assert.Contains("non-scalar output of shape [2]", e2.Message);
        var e3 = Assert.Throws<ShapeMismatchException>(() => (x * 2f).Backward(Tensor.Ones(3)));
        Assert.Contains("[3]", e3.Message);
        Assert.Throws<InvalidOperationException>(() => (x * 2f).RequiresGrad = false);
    }

    [Fact]
    public void NonScalarBackwardWithExplicitGradient()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]).RequireGrad();
        (x * x).Backward(Tensor.FromArray([1f, 0f, -1f]));
        Assert.Equal([2f, 0f, -6f], x.Grad!.ToArray());
    }

    [Fact]
    public void InPlaceUpdatesNeedNoGradForParameters()
    {
        var p = Tensor.FromArray([1f, 2f, 3f]).RequireGrad();
        var e = Assert.Throws<InvalidOperationException>(() => p.AddInPlace(Tensor.Ones(3)));
        Assert.Contains("NoGrad", e.Message);
        using (GradMode.NoGrad()) p.AddInPlace(Tensor.FromArray([1f, 1f, 1f]), alpha: -0.5f);
        Assert.Equal([0.5f, 1.5f, 2.5f], p.ToArray());
        var view = Tensor.Zeros(2, 3).Transpose(0, 1);
        view.AddInPlace(Tensor.FromArray([1f, 2f]));
        Assert.Equal([1f, 2f, 1f, 2f, 1f, 2f], view.ToArray());
        Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(3).AddInPlace(Tensor.Ones(2, 3)));
    }
}
