using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A model that predicts target tokens from the tokens before them (and, for translation, a source):
/// what the trainer, the evaluators and the model directory work with.
/// </summary>
public abstract class SequenceModel : Module
{
    /// <summary>The architecture (and the weights' format).</summary>
    public TransformerConfig Config { get; private protected set; } = new();

    /// <summary>Embedding tables (kept out of weight decay).</summary>
    public abstract IReadOnlyList<Tensor> EmbeddingWeights { get; }

    /// <summary>The projection from d_model to vocabulary logits.</summary>
    public abstract Linear Generator { get; }

    /// <summary>
    /// Logits for every target position with the reference as decoder input: source [B, S] (ignored by
    /// a decoder-only model), targetInput [B, T] → [B, T, vocabulary].
    /// </summary>
    public Tensor TeacherForcedLogits(Tensor source, Tensor targetInput) => Generator.Forward(TeacherForcedHidden(source, targetInput));

    /// <summary>
    /// The last layer's output for every target position, which the output projection (<see cref="Generator"/>) reads:
    /// source [B, S] (ignored by a decoder-only model), targetInput [B, T] → [B, T, d_model].
    /// </summary>
    public abstract Tensor TeacherForcedHidden(Tensor source, Tensor targetInput);

    /// <summary>
    /// Low-rank adapters (LoRA) beside the weights <paramref name="options"/> targets, in every layer; every weight of
    /// the model freezes (no gradients, no optimizer state), so training updates only the adapters. A new adapter
    /// changes no output until it is trained (its B starts at zero).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is int8, or has adapters already.</exception>
    public void AddLora(LoraOptions options, Rng rng)
    {
        options.Validate(Config);   // before anything changes: a rank too large for a target leaves the model as it was
        if (IsQuantized) throw new InvalidOperationException("AddLora: the model's weights are int8; adapters need the float32 model");
        if (HasLora) throw new InvalidOperationException("AddLora: the model has adapters already");
        foreach (var p in Parameters()) p.RequiresGrad = false;
        Apply(module =>
        {
            if (module is MultiHeadAttention attention) attention.AttachLora(options, rng);
            if (module is FeedForward block && options.Targets.HasFlag(LoraTargets.FeedForward))
            {
                block.Linear1.AttachLora(options.Rank, options.Alpha, options.Dropout, rng);
                block.Linear2.AttachLora(options.Rank, options.Alpha, options.Dropout, rng);
            }
        });
        if (options.Targets.HasFlag(LoraTargets.Embedding)) AttachVocabularyLora(options, rng);
        if (options.TrainBiases)
            foreach (var (name, p) in NamedParameters())
                if (name.EndsWith("bias", StringComparison.Ordinal)) p.RequiresGrad = true;
    }

    // One adapter per distinct vocabulary matrix: the output layer's (its input dropout as any Linear's) is also the adapter
    // of the embedding table tied to it; a table of its own gets one without dropout (its input is an id).
    private void AttachVocabularyLora(LoraOptions options, Rng rng)
    {
        var adapters = new Dictionary<Tensor, LoraAdapter>(ReferenceEqualityComparer.Instance);
        if (NamedModules().FirstOrDefault(m => m.Name == "generator").Module is Linear output)
            adapters[output.Weight] = output.AttachLora(options.Rank, options.Alpha, options.Dropout, rng);
        foreach (var table in NamedModules().Select(m => m.Module).OfType<Embedding>().Distinct())
        {
            bool owns = !adapters.TryGetValue(table.Weight, out var adapter);
            adapter ??= adapters[table.Weight] = new LoraAdapter(table.Dim, table.Count, options.Rank, options.Alpha, 0f, rng);
            table.UseLora(adapter, owns);
        }
    }

    /// <summary>Whether the model holds low-rank adapters (<see cref="AddLora"/>).</summary>
    public bool HasLora => NamedModules().Any(m => m.Module is LoraAdapter);

    /// <summary>
    /// Adds every adapter's update (α/r)·B·A into its weight and removes the adapters: a plain model that computes the
    /// same (up to float rounding) with one product per layer. Every weight is trainable again.
    /// </summary>
    public void MergeLora()
    {
        Apply(module =>
        {
            if (module is MultiHeadAttention attention) attention.MergeLora();
            if (module is Linear linear) linear.MergeLora();       // feed-forward layers and the output layer
            if (module is Embedding table) table.MergeLora();
        });
        foreach (var p in Parameters()) p.RequiresGrad = true;
    }

    /// <summary>
    /// Splits the model over the ranks of <paramref name="group"/> (Megatron-style tensor parallelism, <see cref="TensorParallel"/>):
    /// every attention block keeps its share of the heads, every feed-forward block its share of the hidden units, the
    /// output layer its share of the vocabulary (unless it is tied to the embedding table), and the rest stays whole on
    /// every rank. Every rank must call this on the same model (built from the same seed or
    /// loaded from the same files); the ranks then compute its outputs and gradients together, each forward and backward
    /// pass a collective call. Names stay those of the whole model; <see cref="TensorParallel.WholeShape"/> and
    /// <see cref="TensorParallel.Gather"/> give the whole parameters back.
    /// </summary>
    /// <exception cref="ArgumentException">The heads or the hidden units do not divide by the number of ranks.</exception>
    /// <exception cref="InvalidOperationException">The model is int8, has adapters, or is split already.</exception>
    public void SplitAcross(TensorParallel group)
    {
        if (IsQuantized || HasLora || TensorParallel is not null)
            throw new InvalidOperationException("SplitAcross: only a float32 model without adapters can be split over ranks, once");
        if (Config.Heads % group.Size != 0 || Config.DimFeedForward % group.Size != 0)
            throw new ArgumentException($"tensor parallelism over {group.Size} ranks splits the attention heads and feed-forward units: "
                + $"{Config.Heads} heads and {Config.DimFeedForward} units must both divide by {group.Size}");
        Apply(module =>
        {
            if (module is MultiHeadAttention attention) attention.SplitAcross(group);
            if (module is FeedForward block) block.SplitAcross(group);
        });
        if (!Config.TieOutput) Generator.SplitOutputs(group, gather: true);   // logits whole; the loss works on the shares
        TensorParallel = group;
    }

    /// <summary>The ranks this model is split over (<see cref="SplitAcross"/>), or null for a whole model.</summary>
    public TensorParallel? TensorParallel { get; private set; }

    /// <summary>Whether the weight matrices are int8 (<see cref="QuantizeWeights"/>): the model runs at inference only.</summary>
    public bool IsQuantized => Config.Weights == WeightFormat.Int8;

    /// <summary>
    /// Replaces every weight matrix (Linear layers, attention in-projections, embeddings; a tied or shared matrix once)
    /// by int8 with a float32 scale per output row, in place: a quarter of the memory, faster decoding, inference only.
    /// Biases and layer norms stay float32. <see cref="Config"/> then says <see cref="WeightFormat.Int8"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is already quantized.</exception>
    /// <exception cref="ArgumentException">A weight holds a NaN or an infinity.</exception>
    public void QuantizeWeights()
    {
        if (IsQuantized) throw new InvalidOperationException("QuantizeWeights: the model's weights are int8 already");
        foreach (var (name, p) in NamedParameters())
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(p.AsSpan()))
                throw new ArgumentException($"QuantizeWeights: weight '{name}' holds a NaN or an infinity: the model cannot be quantized " +
                                            "(nor used)");
        QuantizeInPlace();
        Config = Config with { Weights = WeightFormat.Int8 };
    }

    /// <summary>
    /// Quantizes every module's weight matrices, each float tensor once (shared ones stay shared); the float
    /// parameters left (biases, norms) stop requiring grad, so a forward pass records nothing.
    /// </summary>
    private protected void QuantizeInPlace()
    {
        foreach (var p in Parameters()) p.RequiresGrad = false;
        var done = new Dictionary<Tensor, QuantizedMatrix>(ReferenceEqualityComparer.Instance);
        Apply(module => module.QuantizeOwnWeights(w =>
        {
            if (!done.TryGetValue(w, out var q)) done[w] = q = QuantizedMatrix.Quantize(w);
            return q;
        }));
    }

    /// <summary>
    /// A freshly initialized model of the kind <paramref name="config"/> describes; one too large for this
    /// process's memory is an <see cref="InsufficientMemoryException"/> before anything is allocated.
    /// </summary>
    public static SequenceModel Create(TransformerConfig config, Rng rng)
    {
        config.Validate();
        ModelMemory.Require(config, copies: 1, "holding its weights");
        return config.Architecture == Architecture.DecoderOnly ? new LanguageModel(config, rng) : new Transformer(config, rng);
    }
}
