using Sharpformer.Tensors;

namespace Sharpformer.Optim;

/// <summary>
/// Updates parameters from their gradients. The learning rate is set before each step (by a schedule);
/// the per-parameter state (moments) can be saved and restored for exact resume.
/// </summary>
public abstract class Optimizer
{
    /// <summary>An optimizer over <paramref name="groups"/>.</summary>
    protected Optimizer(IEnumerable<ParameterGroup> groups, float lr, float weightDecay)
    {
        Groups = [.. groups];
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0)) throw new ArgumentException("Optimizer: no parameters to optimize");
        Lr = lr;
        WeightDecay = weightDecay;
    }

    /// <summary>Parameter groups.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The learning rate of the next step.</summary>
    public float Lr { get; set; }

    /// <summary>Default weight decay (groups may override).</summary>
    public float WeightDecay { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; protected set; }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        foreach (var group in Groups)
        {
            float lr = Lr * group.LrScale;
            float decay = group.WeightDecay ?? WeightDecay;
            foreach (var p in group.Parameters)
            {
                if (p.Grad is null) continue;
                Update(p.AsSpan(), p.Grad.Contiguous().AsSpan(), StateOf(p), lr, decay);
            }
        }
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var group in Groups)
            foreach (var p in group.Parameters) p.ZeroGrad();
    }

    /// <summary>The state buffers of every parameter, by a stable key "group.index.buffer", for checkpoints.</summary>
    public IReadOnlyList<KeyValuePair<string, float[]>> SaveState()
    {
        var result = new List<KeyValuePair<string, float[]>>();
        for (int g = 0; g < Groups.Count; g++)
            for (int i = 0; i < Groups[g].Parameters.Count; i++)
                if (_state.TryGetValue(Groups[g].Parameters[i], out var buffers))
                    for (int b = 0; b < buffers.Length; b++) result.Add(new($"{g}.{i}.{b}", buffers[b]));
        return result;
    }

    /// <summary>Restores what <see cref="SaveState"/> returned (and the step count).</summary>
    public void LoadState(IReadOnlyDictionary<string, float[]> state, int stepCount)
    {
        _state.Clear();
        for (int g = 0; g < Groups.Count; g++)
            for (int i = 0; i < Groups[g].Parameters.Count; i++)
            {
                var p = Groups[g].Parameters[i];
                var buffers = new List<float[]>();
                for (int b = 0; state.TryGetValue($"{g}.{i}.{b}", out var buffer); b++)
                {
                    if (buffer.Length != p.Length)
                        throw new InvalidDataException($"Optimizer state {g}.{i}.{b} has {buffer.Length} values, the parameter has {p.Length}");
                    buffers.Add((float[])buffer.Clone());
                }
                if (buffers.Count > 0) _state[p] = [.. buffers];
            }
        StepCount = stepCount;
    }

    /// <summary>How many state buffers each parameter needs (e.g. 2 for Adam's moments).</summary>
    protected abstract int BuffersPerParameter { get; }

    /// <summary>Updates one parameter in place: p: [n], g: [n], state: buffers of [n].</summary>
    protected abstract void Update(Span<float> p, ReadOnlySpan<float> g, float[][] state, float lr, float weightDecay);

    private readonly Dictionary<Tensor, float[][]> _state = new(ReferenceEqualityComparer.Instance);

    private float[][] StateOf(Tensor p)
    {
        if (!_state.TryGetValue(p, out var buffers))
        {
            buffers = new float[BuffersPerParameter][];
            for (int b = 0; b < buffers.Length; b++) buffers[b] = new float[p.Length];
            _state[p] = buffers;
        }
        return buffers;
    }
}
