using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// Multi-head attention as torch.nn.MultiheadAttention (batch-first): queries, keys and values are
/// projected by one packed in-projection [3E, E], split into heads, attended, concatenated, and
/// projected by out_proj. Self-attention when query, key and value are the same tensor;
/// cross-attention when keys and values come from the encoder.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    private readonly ScaledDotProductAttention _attention;
    private Tensor? _inProjWeight;
    private readonly LoraAdapter?[] _inProjLora = new LoraAdapter?[3];
    private TensorParallel? _split;
    private int _localHeads, _localWidth;   // the heads this rank computes and their width (all of them unless split)

    /// <summary>
    /// <paramref name="heads"/> heads over width <paramref name="embedDim"/> (which the head count must divide);
    /// with <paramref name="ropeBase"/>, self-attention rotates queries and keys by their positions (RoPE).
    /// </summary>
    public MultiHeadAttention(int embedDim, int heads, float dropout, Rng rng, float? ropeBase = null)
    {
        if (heads <= 0 || embedDim % heads != 0)
            throw new ArgumentException($"MultiHeadAttention: {heads} heads do not divide the model width {embedDim}");
        if (ropeBase is not null && embedDim / heads % 2 != 0)
            throw new ArgumentException($"MultiHeadAttention: rotary embeddings need an even head size, not {embedDim / heads}");
        EmbedDim = _localWidth = embedDim;
        Heads = _localHeads = heads;
        RopeBase = ropeBase;
        _inProjWeight = RegisterParameter("in_proj_weight", Tensor.Zeros(3 * embedDim, embedDim));
        InProjBias = RegisterParameter("in_proj_bias", Tensor.Zeros(3 * embedDim));
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, rng));
        _attention = new ScaledDotProductAttention(dropout, rng);
        RegisterModule("", _attention);
        Init.XavierUniform(_inProjWeight, rng);
        Init.Constant(OutProj.Bias!, 0f);
    }

    /// <summary>Model width E.</summary>
    public int EmbedDim { get; }

    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    /// <summary>The base θ of the rotary embeddings self-attention applies, or null for none.</summary>
    public float? RopeBase { get; }

    /// <summary>Packed [W_q; W_k; W_v]: [3E, E].</summary>
    /// <exception cref="InvalidOperationException">The projection is int8 (see <see cref="Int8InProjection"/>).</exception>
    public Tensor InProjWeight => _inProjWeight ?? throw Linear.Quantized("MultiHeadAttention");

    /// <summary>
    /// In a quantized model, W_q, W_k and W_v as three int8 matrices [E, E] (stored stacked as in_proj_weight), else null.
    /// </summary>
    public IReadOnlyList<QuantizedMatrix>? Int8InProjection { get; private set; }

    /// <summary>Packed [b_q; b_k; b_v]: [3E].</summary>
    public Tensor InProjBias { get; private set; }

    /// <summary>The low-rank adapters beside W_q, W_k and W_v (null where there is none).</summary>
    public IReadOnlyList<LoraAdapter?> InProjectionLora => _inProjLora;

    /// <summary>The output projection W_o: E → E.</summary>
    public Linear OutProj { get; }

    /// <summary>
    /// query: [B, T, E], key and value: [B, S, E] → output [B, T, E] and, on request, the attention
    /// weights per head [B, heads, T, S].
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, AttentionMask? mask = null,
        bool returnWeights = false)
    {
        int e = EmbedDim;
        if (query.Rank != 3 || query.Size(-1) != e || key.Rank != 3 || key.Size(-1) != e || value.Rank != 3 || value.Size(-1) != e
            || key.Size(1) != value.Size(1))
            throw new ShapeMismatchException(
                $"MultiHeadAttention: expected query [B, T, {e}] and key, value [B, S, {e}], " +
                $"got {Shapes.Format(query.Shape)}, {Shapes.Format(key.Shape)}, {Shapes.Format(value.Shape)}");
        if (_split is { } group)   // each distinct input enters this rank's heads once (its gradient is summed over the ranks)
        {
            var (sameKey, sameValue) = (ReferenceEquals(query, key), ReferenceEquals(key, value));
            query = group.Enter(query);
            key = sameKey ? query : group.Enter(key);
            value = sameValue ? key : group.Enter(value);
        }
        int width = _localWidth;                                                   // E, or this rank's share of it
        Tensor q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            var qkv = Project(query, 0, 3).Split(width, -1);                       // 3 × [B, T, E]
            (q, k, v) = (qkv[0], qkv[1], qkv[2]);
            if (RopeBase is float theta)
                return Attend(RotatedHeads(q, theta), RotatedHeads(k, theta), SplitHeads(v), mask, returnWeights);
        }
        else if (ReferenceEquals(key, value))
        {
            q = Project(query, 0, 1);
            var kv = Project(key, 1, 2).Split(width, -1);                          // 2 × [B, S, E]
            (k, v) = (kv[0], kv[1]);
        }
        else
        {
            (q, k, v) = (Project(query, 0, 1), Project(key, 1, 1), Project(value, 2, 1));
        }
        return Attend(SplitHeads(q), SplitHeads(k), SplitHeads(v), mask, returnWeights);
    }

    /// <summary>
    /// Self-attention for one new position during incremental decoding: x: [B, 1, E] → [B, 1, E]. The
    /// position's keys and values are appended to <paramref name="cache"/>, and the query attends to
    /// every cached position (all earlier ones, so no causal mask is needed). Computed as at inference:
    /// no dropout, nothing recorded for gradients.
    /// </summary>
    public Tensor ForwardSelfStep(Tensor x, AttentionCache cache)
    {
        StepOps.RequireInference(this, "MultiHeadAttention");
        var buffers = StepOps.Input(x, EmbedDim, hidden: 0);
        SelfStep(buffers.X, buffers.Sublayer, cache, buffers);
        return StepOps.Output(buffers.Sublayer, buffers);
    }

    /// <summary>
    /// Cross-attention for one new position: x: [B, 1, E] over memory [B, S, E]. The memory's keys and
    /// values are projected on the first call and kept in <paramref name="cache"/>. Computed as at
    /// inference, as <see cref="ForwardSelfStep"/>.
    /// </summary>
    public Tensor ForwardCrossStep(Tensor x, Tensor memory, AttentionCache cache, AttentionMask? mask)
    {
        StepOps.RequireInference(this, "MultiHeadAttention");
        var buffers = StepOps.Input(x, EmbedDim, hidden: 0);
        CrossStep(buffers.X, buffers.Sublayer, memory, cache, mask, buffers);
        return StepOps.Output(buffers.Sublayer, buffers);
    }

    // x: [B, E] rows → y: [B, E], appending the position's keys and values to the cache first
    internal void SelfStep(ReadOnlySpan<float> x, Span<float> y, AttentionCache cache, StepBuffers buffers)
    {
        RequireWhole();
        int e = EmbedDim;
        var qkv = buffers.Projected.AsSpan(0, buffers.Rows * 3 * e);                           // [B, 3E]: q | k | v
        if (Int8InProjection is { } int8) StepOps.AffineInt8(x, int8, InProjBias.AsSpan(), qkv, buffers.Rows);
        else StepOps.Affine(x, InProjWeight.AsSpan(), InProjBias.AsSpan(), qkv, buffers.Rows, e, 3 * e);
        for (int i = 0; i < 3; i++)
            if (_inProjLora[i] is { } adapter) StepOps.AddLora(adapter, x, qkv[(i * e)..], buffers.Rows, 3 * e);
        if (RopeBase is float theta) RotateStep(qkv, buffers.Rows, cache.Length, theta);
        cache.AppendPosition(qkv[e..], qkv[(2 * e)..], 3 * e, buffers.Rows, Heads, e / Heads);
        AttendStep(qkv, 3 * e, cache, [], y, buffers);
    }

    // x: [B, E] rows → y: [B, E] attending to memory [B, S, E], whose keys and values the first call caches
    internal void CrossStep(ReadOnlySpan<float> x, Span<float> y, Tensor memory, AttentionCache cache, AttentionMask? mask,
        StepBuffers buffers)
    {
        RequireWhole();
        int e = EmbedDim;
        if (cache.Length == 0)
        {
            if (memory.Rank != 3 || memory.Size(0) != buffers.Rows || memory.Size(2) != e)
                throw new ShapeMismatchException(
                    $"MultiHeadAttention: memory must be [{buffers.Rows}, S, {e}], got {Shapes.Format(memory.Shape)}");
            using var _ = Autograd.GradMode.NoGrad();
            var kv = Project(memory, 1, 2).Split(e, -1);                                         // 2 × [B, S, E]
            cache.Append(SplitHeads(kv[0]), SplitHeads(kv[1]));
        }
        var q = buffers.Projected.AsSpan(0, buffers.Rows * e);                                  // [B, E]
        if (Int8InProjection is { } int8) StepOps.AffineInt8(x, [int8[0]], InProjBias.AsSpan()[..e], q, buffers.Rows);
        else StepOps.Affine(x, InProjWeight.AsSpan()[..(e * e)], InProjBias.AsSpan()[..e], q, buffers.Rows, e, e);
        if (_inProjLora[0] is { } adapter) StepOps.AddLora(adapter, x, q, buffers.Rows, e);
        AttendStep(q, e, cache, buffers.MaskRows(mask, Heads, cache.Length), y, buffers);
    }

    // q: [B, E] queries at row stride `stride`, over every cached position → y = out_proj(heads): [B, E]
    private void AttendStep(ReadOnlySpan<float> q, int stride, AttentionCache cache, ReadOnlySpan<float> mask, Span<float> y,
        StepBuffers buffers)
    {
        if (cache.Rows != buffers.Rows)
            throw new ShapeMismatchException($"MultiHeadAttention: the cache holds {cache.Rows} rows, the step {buffers.Rows}");
        int d = EmbedDim / Heads;
        Kernels.AttentionStep.Run(q, stride, cache.KeyBuffer, cache.ValueBuffer, buffers.Rows, Heads, cache.Capacity, cache.Length, d,
            1f / MathF.Sqrt(d), mask, buffers.Heads);
        StepOps.Linear(OutProj, buffers.Heads, y, buffers.Rows);
    }

    // q: [B, H, T, d], k, v: [B, H, S, d] → out_proj(concat of heads): [B, T, E], and the weights on request
    private (Tensor Output, Tensor? Weights) Attend(Tensor q, Tensor k, Tensor v, AttentionMask? mask, bool returnWeights)
    {
        var (heads, weights) = _attention.Forward(q, k, v, mask, returnWeights);   // [B, H, T, d]
        int b = q.Size(0), t = q.Size(2);
        var merged = heads.Transpose(1, 2).Reshape(b, t, _localWidth);             // [B, T, E]
        return (OutProj.Forward(merged), weights);                                 // split by inputs: summed over the ranks
    }

    // x: [B, L, E] → x·W[first·E : (first+count)·E]ᵀ + b[...]: [B, L, count·E]
    private Tensor Project(Tensor x, int first, int count)
    {
        var bias = InProjBias.Narrow(0, first * _localWidth, count * _localWidth);
        if (Int8InProjection is { } int8) return x.LinearInt8([.. int8.Skip(first).Take(count)], bias, relu: false);
        var weight = InProjWeight.Narrow(0, first * _localWidth, count * _localWidth);
        var parts = _inProjLora.Skip(first).Take(count).ToArray();              // each part's adapter, or null
        var adapters = parts.OfType<LoraAdapter>().ToArray();
        if (adapters.Length == 0) return x.Linear(weight, bias);
        // The adapters as one low-rank term of the product: u = [u_a, u_b, …]: [..., Σr] and an up-projection that is
        // block-diagonal over the parts ([count·E, Σr]: part i's rows hold its B in its adapter's columns, zeros elsewhere).
        int total = adapters.Sum(a => a.Rank);
        var down = Tensor.Concat([.. adapters.Select(a => a.Down(x))], -1);
        Tensor Row(LoraAdapter? part) => part is null ? Tensor.Zeros([EmbedDim, total])
            : Tensor.Concat([.. adapters.Select(a => ReferenceEquals(a, part) ? part.B.Weight : Tensor.Zeros([EmbedDim, a.Rank]))], 1);
        var up = Tensor.Concat([.. parts.Select(Row)], 0);
        return x.LinearLowRank(weight, bias, down, up, relu: false);
    }

    /// <summary>Adds adapters beside W_q, W_k, W_v (parts 0, 1, 2 of the in-projection) and W_o as chosen.</summary>
    internal void AttachLora(LoraOptions options, Rng rng)
    {
        if (_inProjWeight is null) throw Linear.Quantized("MultiHeadAttention");
        LoraTargets[] parts = [LoraTargets.Query, LoraTargets.Key, LoraTargets.Value];
        string[] names = ["in_proj_q", "in_proj_k", "in_proj_v"];
        for (int i = 0; i < 3; i++)
        {
            if (!options.Targets.HasFlag(parts[i])) continue;
            if (_inProjLora[i] is not null)
                throw new InvalidOperationException("MultiHeadAttention: the projection has an adapter already");
            _inProjLora[i] = RegisterModule(names[i],
                new LoraAdapter(EmbedDim, EmbedDim, options.Rank, options.Alpha, options.Dropout, rng));
        }
        if (options.Targets.HasFlag(LoraTargets.Output)) OutProj.AttachLora(options.Rank, options.Alpha, options.Dropout, rng);
    }

    /// <summary>Adds each adapter's update into its weight and removes the adapters.</summary>
    internal void MergeLora()
    {
        for (int i = 0; i < 3; i++)
        {
            if (_inProjLora[i] is not { } adapter) continue;
            using (Autograd.GradMode.NoGrad())
            {
                var rows = InProjWeight.Narrow(0, i * EmbedDim, EmbedDim);
                rows.CopyFrom(rows + adapter.Delta());
            }
            UnregisterModule(adapter);
            _inProjLora[i] = null;
        }
        OutProj.MergeLora();
    }

    internal override void QuantizeOwnWeights(Func<Tensor, QuantizedMatrix> quantize)
    {
        if (_inProjWeight is null) return;
        int e = EmbedDim;
        QuantizedMatrix[] blocks = [.. Enumerable.Range(0, 3).Select(i => quantize(_inProjWeight.Narrow(0, i * e, e).Contiguous()))];
        Int8InProjection = blocks;
        ReplaceWithInt8("in_proj_weight", blocks);
        _inProjWeight = null;
    }

    /// <summary>
    /// This rank's share of the heads (<see cref="SequenceModel.SplitAcross"/>): its rows of W_q, W_k, W_v and their
    /// biases, its columns of W_o (whose bias is added once, after the sum over the ranks), and its own dropout keys.
    /// </summary>
    internal void SplitAcross(TensorParallel group)
    {
        if (_split is not null || _inProjWeight is null || _inProjLora.Any(a => a is not null) || OutProj.Lora is not null)
            throw new InvalidOperationException("MultiHeadAttention: only a float32 block without adapters can be split, once");
        if (Heads % group.Size != 0)
            throw new ArgumentException(
                $"tensor parallelism splits the attention heads: {Heads} heads do not divide by {group.Size} ranks");
        _inProjWeight = ReplaceParameter("in_proj_weight", group.Split(_inProjWeight, dim: 0, parts: 3));
        InProjBias = ReplaceParameter("in_proj_bias", group.Split(InProjBias, dim: 0, parts: 3));
        OutProj.SplitInputs(group);
        _attention.Dropout.KeySalt = group.DropoutSalt;
        (_split, _localHeads, _localWidth) = (group, Heads / group.Size, EmbedDim / group.Size);
    }

    private void RequireWhole()
    {
        if (_split is not null)
            throw new InvalidOperationException(
                "MultiHeadAttention: a tensor-parallel rank holds only some heads; decode with the saved model");
    }

    // [B, L, E] → [B, H, L, E/H] (this rank's heads: E and H its share)
    private Tensor SplitHeads(Tensor x) => x.Reshape(x.Size(0), x.Size(1), _localHeads, EmbedDim / Heads).Transpose(1, 2);

    // [B, L, E] → [B, H, L, E/H], each head vector rotated by its position 0 … L − 1
    private Tensor RotatedHeads(Tensor x, float theta) =>
        x.Reshape(x.Size(0), x.Size(1), _localHeads, EmbedDim / Heads).Rope(positionDim: 1, offset: 0, theta).Transpose(1, 2);

    // qkv: [B, 3E] rows of one new position: its query and key heads rotated in place
    private void RotateStep(Span<float> qkv, int rows, int position, float theta)
    {
        int e = EmbedDim, d = e / Heads;
        bool small = d <= 1024;                                                            // on the stack unless huge
        Span<float> cos = small ? stackalloc float[d / 2] : new float[d / 2], sin = small ? stackalloc float[d / 2] : new float[d / 2];
        Kernels.Rope.Fill(position, 1, d, theta, cos, sin);
        for (int r = 0; r < rows; r++)
            for (int part = 0; part < 2; part++)                                           // q, then k
                for (int h = 0; h < Heads; h++)
                {
                    var head = qkv.Slice(r * 3 * e + part * e + h * d, d);
                    Kernels.Rope.RotateRow(head, head, cos, sin, inverse: false);
                }
    }
}
