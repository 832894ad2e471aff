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
        var y = tanh ? MapScalar(Activations.GeluTanh) : MapScalar(Activations.Gelu);
        return Record(y, tanh ? "GeluTanh" : "Gelu", [this], g => [tanh
            ? ZipWithInput(g, static (gi, xi) => gi * Activations.GeluTanhGrad(xi))
            : ZipWithInput(g, static (gi, xi) => gi * Activations.GeluGrad(xi))]);
    }

    private Tensor Map(SpanMap f)
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        f(Contiguous().AsSpan(), y.AsSpan());
        return y;
    }

    private Tensor MapScalar(Func<float, float> f)
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        var job = new MapJob(Contiguous().AsMemory(), y.AsMemory(), f);
        ParallelRange.For(Length, ScalarFunctionGrain, ref job);
        return y;
    }

    /// <summary>f(g[i], this[i]) for a gradient g of this tensor's shape.</summary>
    private Tensor ZipWithInput(Tensor g, Func<float, float, float> f)
    {
        var y = Allocate(ShapeArray(), zeroed: false);
        var job = new ZipJob(g.Contiguous().AsMemory(), Contiguous().AsMemory(), y.AsMemory(), f);
        ParallelRange.For(Length, ScalarFunctionGrain, ref job);
        return y;
    }

    // Elements per piece for per-element functions that cost tens of nanoseconds (GELU's erf).
    private const int ScalarFunctionGrain = 1 << 12;

    // y[i] = f(x[i])
    private readonly struct MapJob(Memory<float> x, Memory<float> y, Func<float, float> f) : IRangeJob
    {
        public void Run(int start, int end)
        {
            Span<float> xs = x.Span, ys = y.Span;
            for (int i = start; i < end; i++) ys[i] = f(xs[i]);
        }
    }

    // y[i] = f(g[i], x[i])
    private readonly struct ZipJob(Memory<float> g, Memory<float> x, Memory<float> y, Func<float, float, float> f) : IRangeJob
    {
        public void Run(int start, int end)
        {
            Span<float> gs = g.Span, xs = x.Span, ys = y.Span;
            for (int i = start; i < end; i++) ys[i] = f(gs[i], xs[i]);
        }
    }
}
