using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>
/// Runs the decoder one token at a time for a batch of rows, with the key/value cache (one position of
/// work per step) or without it (the whole prefix again each step, as a plain implementation would).
/// Rows can be reordered between steps (beam search).
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly Transformer _model;
    private readonly bool _useCache;
    private Tensor _source, _memory;
    private AttentionMask _sourceMask;
    private readonly KeyValueCache _cache;
    private List<int[]> _prefixes;

    /// <summary>Encodes <paramref name="source"/> ([rows, S] ids) once; the model is put in evaluation mode.</summary>
    public IncrementalDecoder(Transformer model, Tensor source, bool useCache = true)
    {
        model.Eval();
        (_model, _useCache, _source) = (model, useCache, source);
        using (GradMode.NoGrad()) _memory = model.Encode(source);
        _sourceMask = model.SourceMask(source);
        _cache = model.NewCache();
        _prefixes = [.. Enumerable.Range(0, source.Size(0)).Select(_ => new[] { model.Config.BosId })];
        Rows = source.Size(0);
    }

    /// <summary>Rows being decoded.</summary>
    public int Rows { get; private set; }

    /// <summary>Tokens fed so far per row (bos first).</summary>
    public int Length => _prefixes[0].Length;

    /// <summary>Target vocabulary size (width of the logits).</summary>
    public int Vocab => _model.Config.TargetVocab;

    /// <summary>
    /// Logits for the next token of every row: [rows·vocab], row-major. <paramref name="lastTokens"/> are
    /// the tokens chosen at the previous step (null at the first step, when bos is fed).
    /// </summary>
    public float[] NextLogits(int[]? lastTokens)
    {
        if (lastTokens is not null)
        {
            if (lastTokens.Length != Rows) throw new ArgumentException($"IncrementalDecoder: {lastTokens.Length} tokens for {Rows} rows");
            for (int r = 0; r < Rows; r++) _prefixes[r] = [.. _prefixes[r], lastTokens[r]];
        }
        if (Length > _model.Config.MaxLength)
            throw new InvalidOperationException(
                $"IncrementalDecoder: the target is longer than the model's maximum length {_model.Config.MaxLength}");
        if (_useCache)
        {
            // The cache already holds every position before the last fed token; the step writes every logit.
            var next = GC.AllocateUninitializedArray<float>(Rows * Vocab);
            _model.DecodeStep([.. _prefixes.Select(p => p[^1])], _memory, _sourceMask, _cache, next);
            return next;
        }
        using var _ = GradMode.NoGrad();
        var prefix = Tensor.FromArray([.. _prefixes.SelectMany(p => p.Select(t => (float)t))], Rows, Length);
        var logits = _model.Decode(prefix, _memory, _source);                         // [rows, T, V]
        return logits.Narrow(1, Length - 1, 1).ToArray();
    }

    /// <summary>Keeps rows <paramref name="rows"/> in that order (a row may appear several times).</summary>
    public void Reorder(int[] rows)
    {
        using var _ = GradMode.NoGrad();
        _source = _source.IndexSelect(0, rows);
        _memory = _memory.IndexSelect(0, rows);
        _sourceMask = _model.SourceMask(_source);
        _cache.Reorder(rows);
        _prefixes = [.. rows.Select(r => _prefixes[r])];
        Rows = rows.Length;
    }
}
