using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>this + other, broadcasting.</summary>
    public Tensor Add(Tensor other) => Record(Binary<AddOp>(this, other, "Add"), "Add", [this, other],
        g => [g.SumToShape(_shape), g.SumToShape(other._shape)]);

    /// <summary>this − other, broadcasting.</summary>
    public Tensor Sub(Tensor other) => Record(Binary<SubOp>(this, other, "Sub"), "Sub", [this, other],
        g => [g.SumToShape(_shape), other.RequiresGrad ? g.Neg().SumToShape(other._shape) : null]);

    /// <summary>this ⊙ other (elementwise), broadcasting.</summary>
    public Tensor Mul(Tensor other) => Record(Binary<MulOp>(this, other, "Mul"), "Mul", [this, other],
        g => [RequiresGrad ? g.Mul(other).SumToShape(_shape) : null,
              other.RequiresGrad ? g.Mul(this).SumToShape(other._shape) : null]);

    /// <summary>this / other (elementwise), broadcasting.</summary>
    public Tensor Div(Tensor other)
    {
        var y = Binary<DivOp>(this, other, "Div");
        return Record(y, "Div", [this, other],
            g => [RequiresGrad ? g.Div(other).SumToShape(_shape) : null,
                  other.RequiresGrad ? g.Mul(y).Div(other).Neg().SumToShape(other._shape) : null]);
    }

    /// <summary>
    /// this ^ exponent (elementwise), broadcasting. As in PyTorch, the gradient is 0 where the exponent is 0
    /// (base side) and where the base is 0 with a non-negative exponent (exponent side).
    /// </summary>
    public Tensor Pow(Tensor exponent)
    {
        var y = Binary<PowOp>(this, exponent, "Pow");
        return Record(y, "Pow", [this, exponent], g =>
        [
            RequiresGrad
                ? Where(exponent, g.Mul(exponent).Mul(Binary<PowOp>(this, exponent.Sub(Scalar(1)), "Pow")), Scalar(0)).SumToShape(_shape)
                : null,
            exponent.RequiresGrad ? Where(ZeroBaseMask(exponent), Scalar(0), g.Mul(y).Mul(Log())).SumToShape(exponent._shape) : null,
        ]);
    }

    /// <summary>this ^ exponent (elementwise); the gradient is 0 everywhere for exponent 0.</summary>
    public Tensor Pow(float exponent)
    {
        var y = Binary<PowOp>(this, Scalar(exponent), "Pow");
        return Record(y, "Pow", [this], g => [exponent == 0 ? ZerosLike(this)
            : g.Mul(Binary<PowOp>(this, Scalar(exponent - 1), "Pow")).Mul(Scalar(exponent))]);
    }

    // 1 where this (base) is 0 and the exponent is ≥ 0: there log(base) is −∞ but the true derivative is 0.
    private Tensor ZeroBaseMask(Tensor exponent)
    {
        var shape = Shapes.Broadcast(_shape, exponent._shape, "Pow");
        var a = Detach().Expand(shape).ToArray();
        var e = exponent.Detach().Expand(shape).ToArray();
        var mask = new float[a.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = a[i] == 0 && e[i] >= 0 ? 1f : 0f;
        return new Tensor(mask, shape);
    }

    /// <summary>−this.</summary>
    public Tensor Neg() => Record(Binary<MulOp>(this, Scalar(-1), "Neg"), "Neg", [this], g => [g.Neg()]);

    /// <summary>this + value.</summary>
    public Tensor Add(float value) => Add(Scalar(value));

    /// <summary>this ⊙ value.</summary>
    public Tensor Mul(float value) => Mul(Scalar(value));

    /// <summary>
    /// this += alpha·other in place (other broadcasts to this shape), e.g. an optimizer step. Not
    /// recorded: a tensor that requires grad can only be updated under <see cref="Autograd.GradMode.NoGrad"/>.
    /// </summary>
    public void AddInPlace(Tensor other, float alpha = 1f)
    {
        if (RequiresGrad && Autograd.GradMode.IsEnabled)
            throw new InvalidOperationException(
                "AddInPlace: a tensor that requires grad can only be updated in place under GradMode.NoGrad()");
        var shape = Shapes.Broadcast(_shape, other._shape, "AddInPlace");
        if (!shape.AsSpan().SequenceEqual(_shape))
            throw new ShapeMismatchException(
                $"AddInPlace: shape {Shapes.Format(other._shape)} does not broadcast to {Shapes.Format(_shape)}");
        var scaled = alpha == 1f ? other : Binary<MulOp>(other, Scalar(alpha), "AddInPlace");
        CopyFrom(Binary<AddOp>(this, scaled, "AddInPlace"));
    }

    /// <inheritdoc cref="Add(Tensor)"/>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <inheritdoc cref="Sub(Tensor)"/>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <inheritdoc cref="Mul(Tensor)"/>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <inheritdoc cref="Div(Tensor)"/>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <inheritdoc cref="Neg"/>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => a.Add(Scalar(s));
    /// <summary>s + a.</summary>
    public static Tensor operator +(float s, Tensor a) => Scalar(s).Add(a);
    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, float s) => a.Sub(Scalar(s));
    /// <summary>s − a.</summary>
    public static Tensor operator -(float s, Tensor a) => Scalar(s).Sub(a);
    /// <summary>a ⊙ s.</summary>
    public static Tensor operator *(Tensor a, float s) => a.Mul(Scalar(s));
    /// <summary>s ⊙ a.</summary>
    public static Tensor operator *(float s, Tensor a) => Scalar(s).Mul(a);
    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, float s) => a.Div(Scalar(s));
    /// <summary>s / a.</summary>
    public static Tensor operator /(float s, Tensor a) => Scalar(s).Div(a);

    /// <summary>Computes op(a, b) with broadcasting into a new dense tensor (no graph).</summary>
    private static Tensor Binary<TOp>(Tensor a, Tensor b, string name) where TOp : IBinaryOp
    {
        var shape = Shapes.Broadcast(a._shape, b._shape, name);
        var y = Allocate(shape, zeroed: false);
        if (a.IsContiguous && b.IsContiguous && a.Length == y.Length && b.Length == y.Length)
        {
            var job = new DenseBinaryJob<TOp>(a.Storage, a.Offset, b.Storage, b.Offset, y.Storage);
            ParallelRange.For(y.Length, ElementwiseGrain, ref job);
        }
        else
        {
            BroadcastBinary.Run<TOp>(a.Storage, a.Offset, a.BroadcastStrides(shape), b.Storage, b.Offset, b.BroadcastStrides(shape),
                shape, y.AsSpan());
        }
        return y;
    }

    /// <summary>Elements per piece below which an elementwise op stays on one thread.</summary>
    internal const int ElementwiseGrain = 1 << 15;

    // y[i] = op(a[i], b[i]) over one piece of dense operands
    private readonly struct DenseBinaryJob<TOp>(float[] a, int aOffset, float[] b, int bOffset, float[] y) : IRangeJob where TOp : IBinaryOp
    {
        public void Run(int start, int end) =>
            TOp.Apply(a.AsSpan(aOffset + start, end - start), b.AsSpan(bOffset + start, end - start), y.AsSpan(start, end - start));
    }
}
