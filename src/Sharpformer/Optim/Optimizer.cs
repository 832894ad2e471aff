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
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException("Optimizer: no parameters to optimize");
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
    public int StepCount { get; private set; }

    /// <summary>Applies one update to every parameter that has a gradient (large ones split over threads).</summary>
    public void Step()
    {
        StepCount++;
        _work.Clear();
        foreach (var group in Groups)
        {
            float lr = Lr * group.LrScale;
            float decay = group.WeightDecay ?? WeightDecay;
            foreach (var p in group.Parameters)
            {
                if (p.Grad is null) continue;
                var state = StateOf(p);
                state.Step++;
                for (int start = 0; start < p.Length; start += SliceLength)
                    _work.Add(new WorkItem(p, state, start, Math.Min(SliceLength, p.Length - start), lr, decay));
            }
        }
        var job = new UpdateJob(this);
        Kernels.ParallelRange.For(_work.Count, 1, ref job);
    }

    // Elements per unit of parallel work.
    private const int SliceLength = 1 << 16;

    private readonly record struct WorkItem(Tensor Parameter, ParameterState State, int Start, int Length, float Lr, float WeightDecay);

    private readonly List<WorkItem> _work = [];

    private readonly struct UpdateJob(Optimizer optimizer) : Kernels.IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                var (p, state, first, length, lr, decay) = optimizer._work[i];
                Update(optimizer, p, state, first, length, lr, decay);
            }
        }

        private static void Update(Optimizer optimizer, Tensor p, ParameterState state, int first, int length, float lr, float decay) =>
            optimizer.Update(p.AsSpan().Slice(first, length), p.Grad!.AsSpan().Slice(first, length),
                new StateSlice(state.Buffers, first, length), state.Step, lr, decay);
    }

    /// <summary>The part of one parameter's state buffers that an <see cref="Update"/> call covers.</summary>
    protected readonly struct StateSlice
    {
        private readonly float[][] _buffers;
        private readonly int _start, _length;

        internal StateSlice(float[][] buffers, int start, int length) => (_buffers, _start, _length) = (buffers, start, length);

        /// <summary>Buffer <paramref name="index"/>, over the same elements as the parameter slice.</summary>
        public Span<float> this[int index] => _buffers[index].AsSpan(_start, _length);
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var group in Groups)
            foreach (var p in group.Parameters) p.ZeroGrad();
    }

    /// <summary>
    /// The state of every parameter that has been updated, by stable keys "group.index.buffer" and
    /// "group.index.step" (the parameter's own update count), for checkpoints.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, float[]>> SaveState()
    {
        var result = new List<KeyValuePair<string, float[]>>();
        for (int g = 0; g < Groups.Count; g++)
            for (int i = 0; i < Groups[g].Parameters.Count; i++)
                if (_state.TryGetValue(Groups[g].Parameters[i], out var state))
                {
                    result.Add(new($"{g}.{i}.step", [state.Step]));
                    for (int b = 0; b < state.Buffers.Length; b++) result.Add(new($"{g}.{i}.{b}", state.Buffers[b]));
                }
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
                if (!state.TryGetValue($"{g}.{i}.step", out var step)) continue;
                if (step is not [var count] || count is not (>= 0 and < 2147483648f) || count != MathF.Floor(count))
                    throw new InvalidDataException($"Optimizer state {g}.{i}.step is not one whole, non-negative count");
                var buffers = new float[BuffersPerParameter][];
                for (int b = 0; b < buffers.Length; b++)
                {
                    if (!state.TryGetValue($"{g}.{i}.{b}", out var buffer) || buffer.Length != p.Length)
                        throw new InvalidDataException(
                            $"Optimizer state {g}.{i}.{b} is missing or does not have the parameter's {p.Length} values");
                    buffers[b] = (float[])buffer.Clone();
                }
                _state[p] = new ParameterState(buffers) { Step = (int)count };
            }
        StepCount = stepCount;
    }

    /// <summary>How many state buffers each parameter needs (e.g. 2 for Adam's moments).</summary>
    protected abstract int BuffersPerParameter { get; }

    /// <summary>
    /// Updates a slice of one parameter in place: p: [n], g: [n], state: buffers of [n] over the same
    /// elements; <paramref name="step"/> counts this parameter's updates including this one (as PyTorch, a
    /// parameter without a gradient is not stepped). Slices of one step may run on different threads.
    /// </summary>
    protected abstract void Update(Span<float> p, ReadOnlySpan<float> g, StateSlice state, int step, float lr, float weightDecay);

    private sealed class ParameterState(float[][] buffers)
    {
        public float[][] Buffers { get; } = buffers;

        public int Step { get; set; }
    }

    private readonly Dictionary<Tensor, ParameterState> _state = new(ReferenceEqualityComparer.Instance);

    private ParameterState StateOf(Tensor p)
    {
        if (!_state.TryGetValue(p, out var state))
        {
            var buffers = new float[BuffersPerParameter][];
            for (int b = 0; b < buffers.Length; b++) buffers[b] = new float[p.Length];
            _state[p] = state = new ParameterState(buffers);
        }
        return state;
    }
}
