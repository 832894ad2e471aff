using Sharpformer.Tensors;

namespace Sharpformer.Optim;

/// <summary>
/// Stochastic gradient descent with momentum as torch.optim.SGD: d = g + λp; b ← μb + (1 − τ)d (b = d on
/// the first step); d ← d + μb (Nesterov) or b; p ← p − lr·d.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float _momentum, _dampening;
    private readonly bool _nesterov;

    /// <summary>SGD over parameter groups.</summary>
    public Sgd(IEnumerable<ParameterGroup> groups, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f,
        bool nesterov = false)
        : base(groups, lr, weightDecay)
    {
        if (momentum < 0f || (nesterov && (momentum == 0f || dampening != 0f)))
            throw new ArgumentException("Sgd: momentum must be non-negative; Nesterov needs momentum and no dampening");
        (_momentum, _dampening, _nesterov) = (momentum, dampening, nesterov);
    }

    /// <summary>SGD over one group of parameters.</summary>
    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f,
        bool nesterov = false)
        : this([new ParameterGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov) { }

    /// <inheritdoc/>
    protected override int BuffersPerParameter => _momentum == 0f ? 0 : 1;

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> g, StateSlice state, int step, float lr, float weightDecay)
    {
        bool first = step == 1;
        var buffer = _momentum != 0f ? state[0] : [];
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i] + weightDecay * p[i];
            if (_momentum != 0f)
            {
                buffer[i] = first ? d : _momentum * buffer[i] + (1 - _dampening) * d;
                d = _nesterov ? d + _momentum * buffer[i] : buffer[i];
            }
            p[i] -= lr * d;
        }
    }
}
