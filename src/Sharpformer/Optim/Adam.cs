using System.Runtime.Intrinsics;
using Sharpformer.Tensors;

namespace Sharpformer.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) as torch.optim.Adam, or AdamW (decoupled weight decay, Loshchilov &amp; Hutter)
/// as torch.optim.AdamW:
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr·(m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε).
/// Adam adds weight decay to the gradient (L2); AdamW shrinks the parameter by (1 − lr·λ) first.
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float _beta1, _beta2, _eps;
    private readonly bool _decoupled;

    /// <summary>An Adam optimizer; <paramref name="decoupledWeightDecay"/> makes it AdamW.</summary>
    public Adam(IEnumerable<ParameterGroup> groups, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
                float weightDecay = 0f, bool decoupledWeightDecay = false) : base(groups, lr, weightDecay)
    {
        if (beta1 is < 0f or >= 1f || beta2 is < 0f or >= 1f || eps < 0f)
            throw new ArgumentException($"Adam: betas ({beta1}, {beta2}) must be in [0, 1) and eps {eps} non-negative");
        (_beta1, _beta2, _eps, _decoupled) = (beta1, beta2, eps, decoupledWeightDecay);
    }

    /// <summary>Adam over one group of parameters.</summary>
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
                float weightDecay = 0f, bool decoupledWeightDecay = false)
        : this([new ParameterGroup(parameters)], lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay) { }

    /// <summary>AdamW (decoupled weight decay, PyTorch's default λ = 0.01).</summary>
    public static Adam AdamW(IEnumerable<ParameterGroup> groups, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0.01f) =>
        new(groups, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay: true);

    /// <inheritdoc/>
    protected override int BuffersPerParameter => 2;

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, StateSlice state, int step, float lr, float weightDecay)
    {
        Span<float> m = state[0], v = state[1];
        float stepSize = (float)(lr / (1 - Math.Pow(_beta1, step)));
        float correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(_beta2, step));
        float shrink = _decoupled ? 1f - lr * weightDecay : 1f;
        float l2 = _decoupled ? 0f : weightDecay;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (b1, b2) = (Vector512.Create(_beta1), Vector512.Create(_beta2));
            var (c1, c2) = (Vector512.Create(1 - _beta1), Vector512.Create(1 - _beta2));
            for (; i + 16 <= p.Length; i += 16)
            {
                var pi = Vector512.Create(p.Slice(i, 16));
                var grad = Vector512.Create(g.Slice(i, 16)) + l2 * pi;
                var mi = b1 * Vector512.Create(m.Slice(i, 16)) + c1 * grad;
                var vi = b2 * Vector512.Create(v.Slice(i, 16)) + c2 * grad * grad;
                var denom = Vector512.Sqrt(vi) / correction2Sqrt + Vector512.Create(_eps);
                mi.CopyTo(m.Slice(i, 16));
                vi.CopyTo(v.Slice(i, 16));
                (pi * shrink - stepSize * mi / denom).CopyTo(p.Slice(i, 16));
            }
        }
        if (Vector256.IsHardwareAccelerated)   // the same update, 8 at a time (AVX2 machines; on AVX-512 ones the tail)
        {
            var (b1, b2) = (Vector256.Create(_beta1), Vector256.Create(_beta2));
            var (c1, c2) = (Vector256.Create(1 - _beta1), Vector256.Create(1 - _beta2));
            for (; i + 8 <= p.Length; i += 8)
            {
                var pi = Vector256.Create(p.Slice(i, 8));
                var grad = Vector256.Create(g.Slice(i, 8)) + l2 * pi;
                var mi = b1 * Vector256.Create(m.Slice(i, 8)) + c1 * grad;
                var vi = b2 * Vector256.Create(v.Slice(i, 8)) + c2 * grad * grad;
                var denom = Vector256.Sqrt(vi) / correction2Sqrt + Vector256.Create(_eps);
                mi.CopyTo(m.Slice(i, 8));
                vi.CopyTo(v.Slice(i, 8));
                (pi * shrink - stepSize * mi / denom).CopyTo(p.Slice(i, 8));
            }
        }
        for (; i < p.Length; i++)
        {
            float grad = g[i] + l2 * p[i];
            m[i] = _beta1 * m[i] + (1 - _beta1) * grad;
            v[i] = _beta2 * v[i] + (1 - _beta2) * grad * grad;
            float denom = MathF.Sqrt(v[i]) / correction2Sqrt + _eps;
            p[i] = p[i] * shrink - stepSize * m[i] / denom;
        }
    }
}
