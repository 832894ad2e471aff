using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Data;

/// <summary>
/// A padded batch for teacher forcing: the source, the decoder input (bos + target) and the expected
/// output (target + eos), each [B, length] of token ids padded with <see cref="Ids"/>' padding id.
/// </summary>
public sealed record Batch(Tensor Source, Tensor TargetInput, Tensor TargetOutput, int SourceTokens, int TargetTokens)
{
    /// <summary>Number of examples.</summary>
    public int Size => Source.Size(0);

    /// <summary>The padding, bos and eos ids the batch was built with (Sharpformer's reserved ones unless told).</summary>
    public SpecialIds Ids { get; init; } = SpecialIds.Reserved;

    /// <summary>The padding id of a batch with no padding (language-model windows): no token has it.</summary>
    public const int NoPadding = -1;

    /// <summary>
    /// Refuses a batch made with special ids other than <paramref name="config"/>'s (a batch padded with another id would
    /// count its padding as targets): batches of pairs must be made with <see cref="SpecialIds.Of(TransformerConfig)"/>.
    /// A language model's windows, which have no padding, fit any model.
    /// </summary>
    /// <exception cref="ArgumentException">The ids differ.</exception>
    public void CheckFits(TransformerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Ids.Pad == NoPadding || Ids == SpecialIds.Of(config)) return;
        throw new ArgumentException($"the batch was made with padding {Ids.Pad}, bos {Ids.Bos} and eos {Ids.Eos}, the model's are " +
                                    $"{config.PadId}, {config.BosId} and {config.EosId}: make its batches with the model's ids " +
                                    "(SpecialIds.Of(model.Config))");
    }

    /// <summary>Pads <paramref name="pairs"/> into one batch, with <paramref name="ids"/> (default: the reserved ones).</summary>
    public static Batch FromPairs(IReadOnlyList<SequencePair> pairs, SpecialIds? ids = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("Batch: no examples");
        var (pad, bos, eos) = ids ?? SpecialIds.Reserved;
        int s = pairs.Max(p => p.Source.Length), t = pairs.Max(p => p.Target.Length) + 1;
        var source = new float[pairs.Count * s];
        var input = new float[pairs.Count * t];
        var output = new float[pairs.Count * t];
        foreach (var values in (float[][])[source, input, output]) Array.Fill(values, pad);
        int sourceTokens = 0, targetTokens = 0;
        for (int b = 0; b < pairs.Count; b++)
        {
            var (src, tgt) = (pairs[b].Source, pairs[b].Target);
            for (int i = 0; i < src.Length; i++) source[b * s + i] = src[i];
            input[b * t] = bos;
            for (int i = 0; i < tgt.Length; i++)
            {
                input[b * t + i + 1] = tgt[i];
                output[b * t + i] = tgt[i];
            }
            output[b * t + tgt.Length] = eos;
            sourceTokens += src.Length;
            targetTokens += tgt.Length + 1;
        }
        return new Batch(Tensor.FromArray(source, pairs.Count, s), Tensor.FromArray(input, pairs.Count, t),
            Tensor.FromArray(output, pairs.Count, t), sourceTokens, targetTokens) { Ids = ids ?? SpecialIds.Reserved };
    }

    /// <summary>
    /// Language-model batch from equal-length token windows: the input is each window without its last
    /// token, the expected output each window without its first; no source ([B, 0]).
    /// </summary>
    public static Batch ForLanguageModel(IReadOnlyList<int[]> windows)
    {
        if (windows.Count == 0) throw new ArgumentException("Batch: no windows");
        int t = windows[0].Length - 1;
        if (t < 1 || windows.Any(w => w.Length != t + 1))
            throw new ArgumentException("Batch: windows must all have the same length, at least 2");
        var input = new float[windows.Count * t];
        var output = new float[windows.Count * t];
        for (int b = 0; b < windows.Count; b++)
            for (int i = 0; i < t; i++)
            {
                input[b * t + i] = windows[b][i];
                output[b * t + i] = windows[b][i + 1];
            }
        // Windows of text hold no padding: no id is padding here (id 0 is text to a tokenizer whose pad comes later, GPT-2's
        // "!"), so a data-parallel share counts and keeps every token.
        return new Batch(Tensor.Zeros(windows.Count, 0), Tensor.FromArray(input, windows.Count, t),
            Tensor.FromArray(output, windows.Count, t), 0, windows.Count * t) { Ids = SpecialIds.Reserved with { Pad = NoPadding } };
    }

    /// <summary>
    /// Examples [<paramref name="from"/>, <paramref name="to"/>) of this batch, each tensor's padding trimmed to the
    /// longest of them: a data-parallel rank's share of a global batch.
    /// </summary>
    public Batch Rows(int from, int to)
    {
        if (from < 0 || to > Size || from >= to)
            throw new ArgumentOutOfRangeException(nameof(from), $"Batch.Rows: [{from}, {to}) is not a non-empty range of {Size} examples");
        var (source, sourceTokens) = Trimmed(Source, from, to);
        var (output, targetTokens) = Trimmed(TargetOutput, from, to);
        var input = Cut(TargetInput, from, to, output.Size(1));   // bos + target: as long as target + eos
        return new Batch(source, input, output, sourceTokens, targetTokens) { Ids = Ids };
    }

    // Rows [from, to) of ids [B, T] cut to the longest row's non-padding length, and the non-padding count.
    private (Tensor Ids, int Tokens) Trimmed(Tensor ids, int from, int to)
    {
        var values = ids.ToArray();
        int width = ids.Size(1), longest = 0, tokens = 0;
        for (int b = from; b < to; b++)
            for (int i = 0; i < width; i++)
                if (values[b * width + i] != Ids.Pad)
                {
                    tokens++;
                    longest = Math.Max(longest, i + 1);
                }
        return (Cut(ids, from, to, longest), tokens);
    }

    private static Tensor Cut(Tensor ids, int from, int to, int length) =>
        ids.Slice(0, from, to).Slice(1, 0, length).Contiguous();

    /// <summary>
    /// Batches of <paramref name="pairs"/> in their order (for evaluation), each within the token budget, built with
    /// <paramref name="ids"/> (default: the reserved ones).
    /// </summary>
    public static List<Batch> InOrder(IReadOnlyList<SequencePair> pairs, int batchTokens, SpecialIds? ids = null)
    {
        var batches = new List<Batch>();
        var current = new List<SequencePair>();
        int longest = 0;
        foreach (var pair in pairs)
        {
            int cost = Math.Max(pair.Source.Length, pair.Target.Length + 1);
            if (current.Count > 0 && (current.Count + 1) * Math.Max(longest, cost) > batchTokens)
            {
                batches.Add(FromPairs(current, ids));
                current = [];
                longest = 0;
            }
            current.Add(pair);
            longest = Math.Max(longest, cost);
        }
        if (current.Count > 0) batches.Add(FromPairs(current, ids));
        return batches;
    }
}
