using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Generation;

/// <summary>
/// Translates text with a trained encoder-decoder model: tokenizes, batches and pads the inputs, decodes
/// them greedily, by beam search or by sampling (<see cref="DecodingOptions"/>), and detokenizes.
/// <code>
/// var translator = Translator.Load("runs/bible");
/// string es = translator.Translate("In the beginning God created the heavens and the earth.");
/// </code>
/// </summary>
public sealed class Translator
{
    /// <summary>Texts decoded together in one batch unless <see cref="BatchSize"/> is changed.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>A translator for <paramref name="model"/> (put in evaluation mode) and its <paramref name="tokenizer"/>.</summary>
    public Translator(Transformer model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        model.Eval();
        (Model, Tokenizer) = (model, tokenizer);
    }

    /// <summary>Opens the model directory at <paramref name="directory"/> (see <see cref="ModelDirectory.Open"/>).</summary>
    /// <exception cref="IO.InvalidFileException">A file of the directory is missing or damaged.</exception>
    /// <exception cref="ArgumentException">The directory holds a decoder-only language model.</exception>
    public static Translator Load(string directory)
    {
        var files = ModelDirectory.Open(directory);
        return new Translator(files.Translator, files.Tokenizer);
    }

    /// <summary>The model.</summary>
    public Transformer Model { get; }

    /// <summary>Most texts decoded together in one batch (at least 1).</summary>
    public int BatchSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"batch size {value} must be at least 1");
    } = DefaultBatchSize;

    /// <summary>The tokenizer of both sides.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The translation of <paramref name="text"/> (greedy unless <paramref name="options"/> say otherwise).</summary>
    public string Translate(string text, DecodingOptions? options = null) => Translate([text], options)[0];

    /// <summary>The translations of <paramref name="texts"/>, in order, decoded in batches; an empty text gives an empty text.</summary>
    public IReadOnlyList<string> Translate(IReadOnlyList<string> texts, DecodingOptions? options = null)
    {
        options ??= DecodingOptions.Greedy;
        return Translate(texts, options, new Rng(options.Seed));
    }

    /// <summary>
    /// As <see cref="Translate(IReadOnlyList{string}, DecodingOptions?)"/>, drawing samples from
    /// <paramref name="rng"/>: a caller that translates a stream in parts passes the same generator to each.
    /// </summary>
    public IReadOnlyList<string> Translate(IReadOnlyList<string> texts, DecodingOptions options, Rng rng) =>
        [.. TranslateDetailed(texts, options, 1, rng).Select(result => result.Text)];

    /// <summary>
    /// The <paramref name="n"/> best translations of each text by beam search (n at most the beam size),
    /// best first, with their scores (log-probability over GNMT's length penalty); none for an empty text.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Translation>> TranslateNBest(IReadOnlyList<string> texts, DecodingOptions options, int n)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Method != DecodingMethod.Beam)
            throw new ArgumentException("n-best lists come from beam search: decode with DecodingOptions.Beam(k)");
        return [.. TranslateDetailed(texts, options, n).Select(result => result.Hypotheses)];
    }

    /// <summary>
    /// The translations of <paramref name="texts"/> with their token counts and the <paramref name="nBest"/> best
    /// hypotheses each (more than one only under beam search, at most the beam size). Samples come from
    /// <paramref name="rng"/> (default: one seeded with <see cref="DecodingOptions.Seed"/>); <paramref name="cancellation"/>
    /// stops decoding between steps, throwing <see cref="OperationCanceledException"/>.
    /// </summary>
    public IReadOnlyList<TranslationResult> TranslateDetailed(IReadOnlyList<string> texts, DecodingOptions options, int nBest = 1,
                                                              Rng? rng = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (nBest != 1 && options.Method != DecodingMethod.Beam)
            throw new ArgumentException("n-best lists come from beam search: decode with DecodingOptions.Beam(k)");
        if (nBest < 1 || (options.Method == DecodingMethod.Beam && nBest > options.BeamSize))
            throw new ArgumentException($"n-best {nBest} must be from 1 to the beam size {options.BeamSize}");
        rng ??= new Rng(options.Seed);
        var controls = DecodingControls.For(Tokenizer, Model.Config, cancellation);
        return [.. texts.Chunk(BatchSize).SelectMany(chunk => DecodeBatch(chunk, options, rng, nBest, controls))];
    }

    // One batch: sources cut to the model's length, padded to the longest; empty texts are not decoded.
    private TranslationResult[] DecodeBatch(IReadOnlyList<string> texts, DecodingOptions options, Rng rng, int nBest,
                                            DecodingControls controls)
    {
        int room = Model.Config.MaxLength - 2;
        var encoded = texts.Select(Tokenizer.Encode).ToArray();
        var ids = encoded.Select(all => all.Length > room ? all[..room] : all).ToArray();
        var hypotheses = new Hypothesis[texts.Count][];
        var nonEmpty = Enumerable.Range(0, texts.Count).Where(i => ids[i].Length > 0).ToArray();
        if (nonEmpty.Length > 0)
        {
            var decoded = Decode(nonEmpty.Select(i => ids[i]).ToArray(), options, rng, nBest, controls);
            for (int r = 0; r < nonEmpty.Length; r++) hypotheses[nonEmpty[r]] = decoded[r];
        }
        return [.. Enumerable.Range(0, texts.Count).Select(i =>
            new TranslationResult(texts[i], ids[i].Length, encoded[i].Length - ids[i].Length,
                [.. (hypotheses[i] ?? []).Select(h => new Translation(Tokenizer.Decode(h.Tokens), h.Score, h.Tokens, h.Ended))]))];
    }

    // ids: non-empty sources → the n best hypotheses of each.
    private Hypothesis[][] Decode(int[][] ids, DecodingOptions options, Rng rng, int nBest, DecodingControls controls)
    {
        int width = ids.Max(row => row.Length);
        var source = new float[ids.Length * width];   // source: [B, S], padded with the model's padding id
        Array.Fill(source, Model.Config.PadId);
        for (int r = 0; r < ids.Length; r++)
            for (int j = 0; j < ids[r].Length; j++) source[r * width + j] = ids[r][j];
        var batch = Tensor.FromArray(source, ids.Length, width);
        int limit = options.OutputLimit(Model.Config.MaxLength);
        return options.Method switch
        {
            DecodingMethod.Beam =>
                BeamSearch.DecodeNBest(Model, batch, options.BeamSize, limit, nBest, options.LengthPenalty, controls: controls),
            DecodingMethod.Sample =>
                [.. Sampler.Decode(Model, batch, options.Sampling, rng, limit, controls: controls).Select(h => new[] { h })],
            _ => [.. Greedy.Decode(Model, batch, limit, controls: controls).Select(h => new[] { h })],
        };
    }
}
