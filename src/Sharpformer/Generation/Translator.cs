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
    /// <summary>Texts decoded together in one batch.</summary>
    public const int BatchSize = 32;

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
    public IReadOnlyList<string> Translate(IReadOnlyList<string> texts, DecodingOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options.Validate();
        var results = new List<string>(texts.Count);
        foreach (var chunk in texts.Chunk(BatchSize))
            results.AddRange(DecodeBest(chunk, options, rng).Select(h => h is null ? "" : Tokenizer.Decode(h.Tokens)));
        return results;
    }

    /// <summary>The best hypothesis (token ids and score) for each text; null for an empty text.</summary>
    public IReadOnlyList<Hypothesis?> TranslateIds(IReadOnlyList<string> texts, DecodingOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options.Validate();
        return [.. texts.Chunk(BatchSize).SelectMany(chunk => DecodeBest(chunk, options, rng))];
    }

    /// <summary>
    /// The <paramref name="n"/> best translations of each text by beam search (n at most the beam size),
    /// best first, with their scores (log-probability over GNMT's length penalty); none for an empty text.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Translation>> TranslateNBest(IReadOnlyList<string> texts, int n, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options.Validate();
        if (options.Method != DecodingMethod.Beam)
            throw new ArgumentException("n-best lists come from beam search: decode with DecodingOptions.Beam(k)");
        if (n < 1 || n > options.BeamSize) throw new ArgumentException($"n-best {n} must be from 1 to the beam size {options.BeamSize}");
        return [.. texts.Chunk(BatchSize).SelectMany(chunk => DecodeBatch(chunk, options, rng: null, n)).Select(best =>
            (IReadOnlyList<Translation>)[.. (best ?? []).Select(h => new Translation(Tokenizer.Decode(h.Tokens), h.Score, h.Tokens))])];
    }

    private Hypothesis?[] DecodeBest(IReadOnlyList<string> texts, DecodingOptions options, Rng rng) =>
        [.. DecodeBatch(texts, options, rng, 1).Select(best => best?[0])];

    // One batch: sources cut to the model's length, padded to the longest; empty texts are not decoded.
    private Hypothesis[]?[] DecodeBatch(IReadOnlyList<string> texts, DecodingOptions options, Rng? rng, int nBest)
    {
        int room = Model.Config.MaxLength - 2;
        var ids = texts.Select(text => Tokenizer.Encode(text).Take(room).ToArray()).ToArray();
        var results = new Hypothesis[]?[texts.Count];
        var nonEmpty = Enumerable.Range(0, texts.Count).Where(i => ids[i].Length > 0).ToArray();
        if (nonEmpty.Length == 0) return results;
        int width = nonEmpty.Max(i => ids[i].Length);
        var source = new float[nonEmpty.Length * width];   // source: [B, S], padded with the model's padding id
        Array.Fill(source, Model.Config.PadId);
        for (int r = 0; r < nonEmpty.Length; r++)
            for (int j = 0; j < ids[nonEmpty[r]].Length; j++) source[r * width + j] = ids[nonEmpty[r]][j];
        var batch = Tensor.FromArray(source, nonEmpty.Length, width);
        int limit = options.OutputLimit(Model.Config.MaxLength);
        var hypotheses = options.Method switch
        {
            DecodingMethod.Beam => BeamSearch.DecodeNBest(Model, batch, options.BeamSize, limit, nBest, options.LengthPenalty),
            DecodingMethod.Sample => [.. Sampler.Decode(Model, batch, options.Sampling, rng!, limit).Select(h => new[] { h })],
            _ => [.. Greedy.Decode(Model, batch, limit).Select(h => new[] { h })],
        };
        for (int r = 0; r < nonEmpty.Length; r++) results[nonEmpty[r]] = hypotheses[r];
        return results;
    }
}
