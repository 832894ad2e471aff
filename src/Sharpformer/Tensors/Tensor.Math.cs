using System.Numerics.Tensors;
using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

/// <summary>Which form of GELU to compute.</summary>
public enum GeluApproximation
{
    /// <summary>x·Φ(x) with the exact error function.</summary>
    None,

    /// <summary>The tanh approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    Tanh,
}

public sealed partial class Tensor
{
    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>eˣ.</summary>
    public Tensor Exp()
    {
        var y = Map(TensorPrimitives.Exp);
        return Record(y, "Exp", [this], g => [g.Mul(y)]);
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Record(Map(TensorPrimitives.Log), "Log", [this], g => [g.Div(this)]);

    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        var y = Map(TensorPrimitives.Sqrt);
        return Record(y, "Sqrt", [this], g => [g.Div(y).Mul(0.5f)]);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var y = Map(TensorPrimitives.Tanh);
        return Record(y, "Tanh", [this], g => [g.Mul(1f - y * y)]);
    }

    /// <summary>Logistic sigmoid 1 / (1 + e⁻ˣ).</summary>
    public Tensor Sigmoid()
    {
        var y = Map(TensorPrimitives.Sigmoid);
        return Record(y, "Sigmoid", [this], g => [g.Mul(y * (1f - y))]);
    }

    /// <summary>max(x, 0).</summary>
    public Tensor Relu()
    {
        var y = Map(static (x, y) => TensorPrimitives.Max(x, 0f, y));
        return Record(y, "Relu", [this], g =>
        {
            var dx = Allocate(ShapeArray(), zeroed: false);
            Activations.ReluBackward(y.AsSpan(), g.Contiguous().AsSpan(), dx.AsSpan());
            return [dx];
        });
    }

    /// <summary>GELU, exact (erf) by default or the tanh approximation.</summary>
    public Tensor Gelu(GeluApproximation approximation = GeluApproximation.None)
    {
        bool tanh = approximation == GeluApproximation.Tanh;
        var x = Contiguous();
        var y = Allocate(ShapeArray(), zeroed: false);
        var forward = new GeluJob(x.AsMemory(), default, y.AsMemory(), tanh);
        ParallelRange.For(Length, ElementwiseGrain, ref forward);
        return Record(y, tanh ? "GeluTanh" : "Gelu", [this], g =>
        {
            var dx = Allocate(ShapeArray(), zeroed: false);
            var backward = new GeluJob(x.AsMemory(), g.Contiguous().AsMemory(), dx.AsMemory(), tanh);
            ParallelRange.For(Length, ElementwiseGrain, ref backward);
            return [dx];
        });
    }

    private Tensor Map(SpanMap f)
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        f(Contiguous().AsSpan(), y.AsSpan());
        return y;
    }

    // GELU over one piece: forward y = GELU(x) when there is no gradient, else y = g·GELU′(x)
    private readonly struct GeluJob(Memory<float> x, Memory<float> g, Memory<float> y, bool tanh) : IRangeJob
    {
        public void Run(int start, int end)
        {
            var xs = x.Span[start..end];
            if (g.IsEmpty) Kernels.Gelu.Forward(xs, y.Span[start..end], tanh);
            else Kernels.Gelu.Backward(xs, g.Span[start..end], y.Span[start..end], tanh);
        }
    }
}
