// Week 12 final project: compare decoding strategies on a trained translation model.
// By default trains a tiny reverse-task model through the library's Trainer (a few hundred steps, no dropout,
// well under a minute) and compares greedy, beam search (2, 4, 8) and sampling (temperature 0.7 / 1.0,
// top-k 5, top-p 0.9) on fresh held-out sequences: BLEU, chrF, exact match, output length, diversity, speed.
// Usage: dotnet run --project examples/12-DecodingStrategies -- [--steps 300] [--out DIR] [--pairs 200]
//        dotnet run --project examples/12-DecodingStrategies -- --model DIR [--data FILE.tsv] [--pairs 200]
// (any model directory from `sharpformer train` with a TSV of held-out pairs; a directory this example
// trained keeps its held-out pairs in heldout.tsv).
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Data;
using Sharpformer.Evaluation;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;
using Sharpformer.Training;

const string HeldOutFile = "heldout.tsv";
const int SamplesPerInput = 5;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var options = ParseArgs(args);
int steps = int.Parse(options.GetValueOrDefault("steps", "300"), CultureInfo.InvariantCulture);
int pairCount = int.Parse(options.GetValueOrDefault("pairs", "200"), CultureInfo.InvariantCulture);
string directory = options.GetValueOrDefault("model") ?? options.GetValueOrDefault("out")
    ?? Path.Combine(Path.GetTempPath(), "sharpformer-week12");

// The library's Translator tokenizes, batches, pads and decodes; this example only chooses the decoding.
var translator = options.ContainsKey("model") ? Translator.Load(directory) : TrainReverseModel(directory, steps);
var (model, tokenizer) = (translator.Model, translator.Tokenizer);
if (options.ContainsKey("model"))
    Console.WriteLine($"loaded {directory}: {model.ParameterCount():N0} parameters, vocabulary {tokenizer.VocabSize:N0}");

string dataPath = options.GetValueOrDefault("data") ?? Path.Combine(directory, HeldOutFile);
var pairs = TsvReader.Read(dataPath).Pairs.Take(pairCount).ToList();
if (pairs.Count == 0) throw new InvalidDataException($"{dataPath}: no pairs");
var sources = pairs.Select(p => p.Source).ToList();
var references = pairs.Select(p => p.Target).ToList();
// BLEU counts words; outputs of a character-level model (the toy task) are compared character by character.
bool characters = tokenizer is CharTokenizer;
Func<string, string> forBleu = characters ? s => string.Join(' ', s.EnumerateRunes()) : s => s;
int maxLength = model.Config.MaxLength - 2;
Console.WriteLine($"\ncomparing on {pairs.Count} held-out pairs from {dataPath} (outputs up to {maxLength} tokens" +
                  (characters ? "; BLEU over characters" : "") + $"), {SamplesPerInput} samples per input for sampling\n");

var strategies = new List<(string Name, DecodingOptions Decoding, bool Sampled)>
{
    ("greedy", DecodingOptions.Greedy, false),
    ("beam 2", DecodingOptions.Beam(2), false),
    ("beam 4", DecodingOptions.Beam(4), false),
    ("beam 8", DecodingOptions.Beam(8), false),
    ("sample T=0.7", DecodingOptions.Sample(new SamplingOptions(Temperature: 0.7f)), true),
    ("sample T=1.0", DecodingOptions.Sample(new SamplingOptions(Temperature: 1f)), true),
    ("top-k 5", DecodingOptions.Sample(new SamplingOptions(TopK: 5)), true),
    ("top-p 0.9", DecodingOptions.Sample(new SamplingOptions(TopP: 0.9f)), true),
};

var referenceStreams = new IReadOnlyList<string?>[] { references.Select(forBleu).ToList() };
Console.WriteLine($"{"strategy",-13} {"BLEU",6} {"chrF",6} {"exact",7} {"length",7} {"distinct",9} {"distinct-2",10} {"sent/s",8}");
Console.WriteLine(new string('-', 72));
var examples = new Dictionary<string, string[]>();
for (int i = 0; i < 3; i++) Decode(strategies[0].Decoding, new Rng(0)); // warm-up (JIT), untimed
foreach (var (name, decoding, sampled) in strategies)
{
    // Sampling draws 5 outputs per input; a deterministic strategy is run 3 times only to time it (the fastest run counts).
    int runs = sampled ? SamplesPerInput : 1, timings = sampled ? SamplesPerInput : 3;
    translator.TranslateDetailed([sources[0]], decoding with { MaxOutputTokens = maxLength }); // warm-up, untimed
    var rng = new Rng(12);
    var outputs = new List<int[]>[runs];
    double fastest = double.MaxValue;
    for (int run = 0; run < timings; run++)
    {
        var clock = Stopwatch.StartNew();
        outputs[Math.Min(run, runs - 1)] = Decode(decoding, rng);
        fastest = Math.Min(fastest, clock.Elapsed.TotalSeconds);
    }
    double perSecond = pairs.Count / fastest;

    // Quality is averaged over the sampled runs; a deterministic strategy has one.
    var texts = outputs.Select(run => run.Select(ids => tokenizer.Decode(ids)).ToList()).ToList();
    double bleu = texts.Average(t => Bleu.Corpus(t.Select(forBleu).ToList(), referenceStreams).Score);
    double chrf = texts.Average(t => Chrf.Corpus(t, [references]).Score);
    double exact = texts.Average(t => ExactMatch.Fraction(t, references));
    double length = outputs.Average(run => run.Average(ids => ids.Length));
    double distinct = Enumerable.Range(0, pairs.Count).Average(i => outputs.Select(run => string.Join(',', run[i])).Distinct().Count());
    double distinct2 = outputs.Average(DistinctBigrams);
    examples[name] = [.. texts[0].Take(3)];
    Console.WriteLine($"{name,-13} {bleu,6:F2} {chrf,6:F2} {exact,7:P1} {length,7:F2} {distinct,9:F2} {distinct2,10:F3} {perSecond,8:F0}");
}
Console.WriteLine($"\nreference length {pairs.Average(p => tokenizer.Encode(p.Target).Length):F2} tokens; " +
                  $"distinct: different outputs per input among {SamplesPerInput} samples (1 for deterministic strategies); " +
                  $"distinct-2: unique / total output-token bigrams");
if (!options.ContainsKey("model"))
    Console.WriteLine("(the model was trained with label smoothing 0.1, so its distributions keep some mass on wrong tokens: " +
                      "sampling at T=1 pays for it)");
Console.WriteLine("\nfirst held-out inputs:");
for (int i = 0; i < Math.Min(3, pairs.Count); i++)
{
    Console.WriteLine($"  {Shorten(sources[i])} → reference {Shorten(references[i])}");
    foreach (var name in new[] { "greedy", "beam 4", "sample T=1.0", "top-p 0.9" })
        Console.WriteLine($"    {name,-13} {Shorten(examples[name][i])}");
}

// Decodes every held-out source (outputs up to the model's length), returning the output ids of each.
List<int[]> Decode(DecodingOptions decoding, Rng rng) =>
    [.. translator.TranslateDetailed(sources, decoding with { MaxOutputTokens = maxLength }, rng: rng)
        .Select(result => result.Hypotheses.Count > 0 ? result.Hypotheses[0].Tokens : [])];

static double DistinctBigrams(List<int[]> outputs)
{
    var bigrams = outputs.SelectMany(ids => ids.Zip(ids.Skip(1))).ToList();
    return bigrams.Count == 0 ? 0 : bigrams.Distinct().Count() / (double)bigrams.Count;
}

static string Shorten(string text) => text.Length > 60 ? $"\"{text[..45]} … {text[^10..]}\"" : $"\"{text}\"";

// Trains the reverse task with the library's data and trainer, and writes the model, tokenizer and held-out pairs.
static Translator TrainReverseModel(string directory, int steps)
{
    if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    var run = TrainingRun.Start(new TrainingRunOptions
    {
        Directory = directory, Task = "reverse", MaxLength = 32, BatchTokens = 1024,
        Model = TransformerConfig.Tiny(vocab: 1) with { Dropout = 0f },
        Training = new TrainingOptions { Steps = steps, Lr = 1e-3f, Warmup = 100, EvalEvery = 0, SaveEvery = 0, LogEvery = 50 },
    }, log: Console.WriteLine);
    var (data, model) = (run.Data, (Transformer)run.Model);
    var clock = Stopwatch.StartNew();
    run.Trainer.Progress = p =>
    {
        if (p.Step % 100 == 0 || p.Step == steps)
            Console.WriteLine($"step {p.Step,4}/{steps}  loss {p.Loss:F3}" +
                (p.Valid is { } v ? $"  validation token accuracy {v.Accuracy:P1}" : ""));
    };
    Console.WriteLine($"training a {model.ParameterCount():N0}-parameter reverse-task model for {steps} steps → {directory}");
    run.Trainer.Run();
    Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s");

    // Fresh sequences of the task's alphabet and lengths from a generator the training never used.
    var heldOut = new Rng(2024);
    var lines = Enumerable.Range(0, 500).Select(_ =>
    {
        var text = new string([.. Enumerable.Range(0,
                TrainingData.ToyMinLength + heldOut.NextInt(TrainingData.ToyMaxLength - TrainingData.ToyMinLength + 1))
            .Select(_ => TrainingData.ToyAlphabet[heldOut.NextInt(TrainingData.ToyAlphabet.Length)])]);
        var reversed = text.ToCharArray();
        Array.Reverse(reversed);
        return $"{text}\t{new string(reversed)}";
    });
    File.WriteAllLines(Path.Combine(directory, HeldOutFile), lines);
    return new Translator(model, data.Tokenizer);
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var known = new[] { "steps", "out", "pairs", "model", "data" };
    var result = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i++)
    {
        string name = args[i].TrimStart('-');
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || !known.Contains(name) || i + 1 == args.Length)
            throw new ArgumentException(
                $"unknown or incomplete option '{args[i]}' (known: {string.Join(", ", known.Select(k => "--" + k))} VALUE)");
        result[name] = args[++i];
    }
    return result;
}
