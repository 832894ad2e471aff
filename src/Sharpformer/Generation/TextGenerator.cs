using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Generation;

/// <summary>
/// Continues a prompt with a decoder-only <see cref="LanguageModel"/>, one token at a time (key/value
/// cached), greedily or by sampling:
/// <code>
/// var generator = TextGenerator.Load("runs/austen");
/// string more = generator.Generate("It is a truth universally acknowledged", DecodingOptions.Sample(seed: 7));
/// </code>
/// </summary>
public sealed class TextGenerator
{
    /// <summary>A generator for <paramref name="model"/> (put in evaluation mode) and its <paramref name="tokenizer"/>.</summary>
    public TextGenerator(LanguageModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        model.Eval();
        (Model, Tokenizer) = (model, tokenizer);
    }

    /// <summary>Opens the model directory at <paramref name="directory"/> (see <see cref="ModelDirectory.Open"/>).</summary>
    /// <exception cref="IO.InvalidFileException">A file of the directory is missing or damaged.</exception>
    /// <exception cref="ArgumentException">The directory holds an encoder-decoder (translation) model.</exception>
    public static TextGenerator Load(string directory)
    {
        var files = ModelDirectory.Open(directory);
        return new TextGenerator(files.LanguageModel, files.Tokenizer);
    }

    /// <summary>Tokens generated when neither the call nor <see cref="DecodingOptions.MaxOutputTokens"/> says how many.</summary>
    public const int DefaultMaxTokens = 100;

    /// <summary>The model.</summary>
    public LanguageModel Model { get; }

    /// <summary>Its tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>
    /// The text that follows <paramref name="prompt"/>: at most <paramref name="maxTokens"/> tokens (null: the options'
    /// <see cref="DecodingOptions.MaxOutputTokens"/>, else <see cref="DefaultMaxTokens"/>; fewer when the model's length
    /// ends first), greedy unless <paramref name="options"/> ask for sampling.
    /// </summary>
    public string Generate(string prompt, DecodingOptions? options = null, int? maxTokens = null) =>
        GenerateDetailed(prompt, options ?? DecodingOptions.Greedy, maxTokens).Text;

    /// <summary>
    /// As <see cref="Generate(string, DecodingOptions?, int?)"/>, with the token counts and score of the continuation;
    /// <paramref name="cancellation"/> stops it between tokens (throwing <see cref="OperationCanceledException"/>).
    /// </summary>
    public GenerationResult GenerateDetailed(string prompt, DecodingOptions options, int? maxTokens = null,
                                             CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int most = maxTokens ?? options.MaxOutputTokens ?? DefaultMaxTokens;
        if (options.Method == DecodingMethod.Beam)
            throw new ArgumentException("a language model samples or decodes greedily; beam search is for translation");
        if (most < 1) throw new ArgumentException($"max tokens {most} must be at least 1");
        var ids = Tokenizer.Encode(prompt);
        if (ids.Length == 0) throw new ArgumentException("the prompt is empty");
        int room = Model.Config.MaxLength - ids.Length;
        if (room < 1) throw new ArgumentException($"the prompt has {ids.Length} tokens; the model handles {Model.Config.MaxLength} in all");
        var sampling = options.Method == DecodingMethod.Sample ? options.Sampling : new SamplingOptions(Temperature: 0f);
        var controls = DecodingControls.For(Tokenizer, Model.Config, cancellation);
        var output = Generate(Model, ids, sampling, new Rng(options.Seed), Math.Min(most, room), controls);
        return new GenerationResult(prompt, ids.Length, Tokenizer.Decode(output.Tokens), output.Tokens, output.Score, output.Ended);
    }

    /// <summary>
    /// Feeds <paramref name="prompt"/> (at least one token) and samples up to <paramref name="maxTokens"/>
    /// more under <paramref name="options"/>, stopping early at eos (see <see cref="DecodingControls"/> for
    /// <paramref name="controls"/>). Returns only the new tokens.
    /// </summary>
    public static Hypothesis Generate(LanguageModel model, int[] prompt, SamplingOptions options, Rng rng, int maxTokens,
                                      DecodingControls controls = default)
    {
        options.Validate();
        if (prompt.Length == 0) throw new ArgumentException("TextGenerator: the prompt must hold at least one token");
        if (prompt.Length + maxTokens > model.Config.MaxLength)
            throw new ArgumentException($"TextGenerator: prompt ({prompt.Length}) plus {maxTokens} new tokens " +
                $"exceed the model's maximum length {model.Config.MaxLength}");
        model.Eval();
        var cache = model.NewCache();
        var logits = new float[model.Config.TargetVocab];
        var scratch = new double[logits.Length];
        foreach (int token in prompt) model.DecodeStep([token], cache, logits);
        var output = new List<int>();
        double score = 0;
        for (int step = 0; step < maxTokens; step++)
        {
            controls.Cancellation.ThrowIfCancellationRequested();
            controls.Forbid(logits, model.Config);
            int next = Sampler.Choose(logits, options, rng);
            score += logits[next] - LogProbabilities.LogSumExp(logits, scratch);
            if (next == model.Config.EosId) return new Hypothesis([.. output], (float)score, true);
            output.Add(next);
            model.DecodeStep([next], cache, logits);
        }
        return new Hypothesis([.. output], (float)score, false);
    }
}
