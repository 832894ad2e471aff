using Sharpformer.IO;
using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Data;

/// <summary>Where training data comes from: a built-in task name, or TSV files.</summary>
public sealed record DataSpec(string? Task, string? TrainFile, string? ValidFile)
{
    /// <summary>The names of the built-in tasks.</summary>
    public static IReadOnlyList<string> TaskNames { get; } =
        ["copy", "reverse", "sort", "bible-en-es", "bible-ot-en-es", "bible-nt-en-es", "austen"];

    /// <summary>A short name for messages.</summary>
    public string Describe() => Task ?? Path.GetFileName(TrainFile)!;
}

/// <summary>How to batch and tokenize.</summary>
public sealed record DataSettings(int BatchTokens, int MaxLength, int VocabSize, bool SkipBadLines, ulong Seed);

/// <summary>
/// Everything training needs from the data side: the tokenizer (trained here, or the one a resumed run
/// saved), the training stream, validation batches, and what was truncated or skipped on the way.
/// </summary>
public sealed record TrainingData(ITokenizer Tokenizer, IBatchSource Train, IReadOnlyList<Batch> Valid, Architecture Architecture,
    int BatchesPerEpoch, int Truncated, int SkippedLines)
{
    /// <summary>The validation pairs as text, for translating them (none for a language model or a generated task).</summary>
    public IReadOnlyList<(string Source, string Target)> ValidPairs { get; init; } = [];

    /// <summary>Ordinary symbols of the generated toy tasks: letters a–p, ids 4–19.</summary>
    public const string ToyAlphabet = "abcdefghijklmnop";

    /// <summary>Length range of generated toy sequences.</summary>
    public const int ToyMinLength = 4, ToyMaxLength = 12;

    /// <summary>
    /// Builds the data for <paramref name="spec"/>; <paramref name="tokenizer"/> is reused when given
    /// (resume), else trained.
    /// </summary>
    public static TrainingData Load(DataSpec spec, DataSettings settings, ITokenizer? tokenizer, Action<string> progress)
    {
        if (spec.Task is not null && spec.TrainFile is not null)
            throw new ArgumentException("give either a task or a training file, not both");
        if (spec.TrainFile is null && spec.ValidFile is not null) throw new ArgumentException("a validation file needs a training file");
        if (spec.TrainFile is not null)
            return spec.TrainFile.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)
                ? FromTsv(spec, settings, tokenizer, progress)
                : FromText(spec, settings, tokenizer, progress);
        return spec.Task switch
        {
            null => throw new ArgumentException("give a task name or a training file"),
            "bible-en-es" or "bible-ot-en-es" or "bible-nt-en-es" =>
                FromPairs(Corpora.BibleVerses(spec.Task, Split.Train).Select(v => (v.English, v.Spanish)).ToList(),
                          Corpora.BibleVerses(spec.Task, Split.Valid).Select(v => (v.English, v.Spanish)).ToList(),
                          0, settings, tokenizer, progress),
            "austen" => Austen(settings, tokenizer, progress),
            _ when ToyTask.Parse(spec.Task) is { } kind => Toy(kind, settings),
            _ => throw new ArgumentException($"unknown task '{spec.Task}' (known: {string.Join(", ", DataSpec.TaskNames)})"),
        };
    }

    /// <summary>The character tokenizer of the toy tasks: the reserved tokens, then the letters a–p.</summary>
    public static CharTokenizer ToyTokenizer() =>
        new([.. SpecialTokens.Names, .. ToyAlphabet.Select(c => c.ToString())], SpecialTokenSet.Reserved());

    private static TrainingData Toy(ToyTaskKind kind, DataSettings settings)
    {
        var task = new ToyTask(kind, SpecialTokens.Count + ToyAlphabet.Length, ToyMinLength, ToyMaxLength);
        int batchSize = Math.Max(1, settings.BatchTokens / (ToyMaxLength + 1));
        return new TrainingData(ToyTokenizer(), new ToyTaskBatches(task, batchSize, settings.Seed + 1),
            ToyTaskBatches.Fixed(task, batchSize, count: 4, seed: settings.Seed + 2), Architecture.EncoderDecoder, 0, 0, 0);
    }

    private static TrainingData FromTsv(DataSpec spec, DataSettings settings, ITokenizer? tokenizer, Action<string> progress)
    {
        var train = TsvReader.Read(spec.TrainFile!, settings.SkipBadLines);
        var valid = spec.ValidFile is null ? null : TsvReader.Read(spec.ValidFile, settings.SkipBadLines);
        if (train.Pairs.Count == 0) throw new InvalidFileException(spec.TrainFile!, "no training pairs");
        return FromPairs(train.Pairs, valid?.Pairs ?? [], train.SkippedLines + (valid?.SkippedLines ?? 0), settings, tokenizer, progress);
    }

    private static TrainingData FromPairs(IReadOnlyList<(string Source, string Target)> train,
                                          IReadOnlyList<(string Source, string Target)> valid,
                                          int skipped, DataSettings settings, ITokenizer? tokenizer, Action<string> progress)
    {
        tokenizer ??= TrainTokenizer(train.SelectMany(p => new[] { p.Source, p.Target }), settings, progress);
        var encodedTrain = EncodedPairs.Encode(train, tokenizer.Encode, settings.MaxLength);
        var encodedValid = EncodedPairs.Encode(valid, tokenizer.Encode, settings.MaxLength);
        var ids = SpecialIds.Of(tokenizer.SpecialTokens);
        var batcher = new BucketBatcher(encodedTrain.Pairs, settings.BatchTokens, settings.Seed + 1, ids: ids);
        var validBatches = encodedValid.Pairs.Count == 0 ? [] : Batch.InOrder(encodedValid.Pairs, settings.BatchTokens, ids);
        progress($"{train.Count:N0} training pairs ({batcher.BatchesPerEpoch:N0} batches an epoch), {valid.Count:N0} validation pairs; " +
                 $"{encodedTrain.Truncated + encodedValid.Truncated:N0} truncated to {settings.MaxLength} tokens, " +
                 $"{skipped:N0} bad lines skipped");
        return new TrainingData(tokenizer, batcher, validBatches, Architecture.EncoderDecoder, batcher.BatchesPerEpoch,
            encodedTrain.Truncated + encodedValid.Truncated, skipped) { ValidPairs = valid };
    }

    private static TrainingData Austen(DataSettings settings, ITokenizer? tokenizer, Action<string> progress) =>
        LanguageModelling("Austen", [.. Corpora.AustenNovels.Select(Corpora.AustenText)], settings, tokenizer, progress);

    // Any plain-text file (not .tsv) trains a language model; a validation file may give held-out text,
    // else its last twentieth is held out.
    private static TrainingData FromText(DataSpec spec, DataSettings settings, ITokenizer? tokenizer, Action<string> progress)
    {
        string text = TextFile.ReadAll(spec.TrainFile!);
        if (spec.ValidFile is null) return LanguageModelling(Path.GetFileName(spec.TrainFile)!, [text], settings, tokenizer, progress);
        return LanguageModelling(Path.GetFileName(spec.TrainFile)!, [text], settings, tokenizer, progress,
            TextFile.ReadAll(spec.ValidFile));
    }

    private static TrainingData LanguageModelling(string name, IReadOnlyList<string> texts, DataSettings settings, ITokenizer? tokenizer,
        Action<string> progress, string? heldOut = null)
    {
        // Without separate validation text, the last twentieth of each text is held out.
        var trainText = heldOut is null ? texts.Select(t => t[..(t.Length * 19 / 20)]).ToList() : [.. texts];
        var validText = heldOut is null ? texts.Select(t => t[(t.Length * 19 / 20)..]).ToList() : [heldOut];
        tokenizer ??= TrainTokenizer(trainText.SelectMany(t => t.Split('\n')), settings, progress);
        int context = Math.Max(8, settings.MaxLength - 1);
        int batchSize = Math.Max(1, settings.BatchTokens / context);
        int[] Stream(IEnumerable<string> texts) => [.. texts.SelectMany(t => tokenizer.Encode(t))];
        var train = new TextWindows(Stream(trainText), context, batchSize, settings.Seed + 1);
        var valid = new TextWindows(Stream(validText), context, batchSize, settings.Seed + 2).All();
        progress($"{name}: {train.Windows:N0} training windows of {context} tokens ({train.BatchesPerEpoch:N0} batches an epoch), " +
                 $"{valid.Count:N0} validation batches");
        return new TrainingData(tokenizer, train, valid, Architecture.DecoderOnly, train.BatchesPerEpoch, 0, 0);
    }

    private static ITokenizer TrainTokenizer(IEnumerable<string> texts, DataSettings settings, Action<string> progress)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tokenizer = TokenizerTrainer.Train("bpe", texts, new TokenizerTrainingOptions { VocabSize = settings.VocabSize });
        progress($"trained a byte-level BPE tokenizer of {tokenizer.VocabSize:N0} tokens in {clock.Elapsed.TotalSeconds:F1} s");
        return tokenizer;
    }
}
