// Training for quality (docs/21): a run on a time budget that translates its validation pairs at each evaluation,
// keeps its best model, the weights of its last checkpoints and a moving average of its weights — then scores the
// last, best, averaged and moving-average models side by side. The task: numbers from 1 to 999 spelt out in English,
// translated into Spanish ("three hundred twenty-one" → "trescientos veintiuno"), learnt from 250 of them and scored
// on 100 others: the model has to generalise the grammar, not remember the numbers.
// Usage: dotnet run --project examples/21-TrainingForQuality -c Release -- [minutes=1] [out-dir]
using System.Globalization;
using Examples.TrainingForQuality;
using Sharpformer.Evaluation;
using Sharpformer.Generation;
using Sharpformer.Tensors;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
double minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1;
string root = args.Length > 1 ? args[1] : Directory.CreateTempSubdirectory("sharpformer-quality-example-").FullName;
Directory.CreateDirectory(root);

// 1. The data: every number once, shuffled; 250 to learn from, the last 100 for validation.
var rng = new Rng(5);
int[] numbers = [.. Enumerable.Range(1, 999)];
for (int i = numbers.Length - 1; i > 0; i--)
{
    int j = rng.NextInt(i + 1);
    (numbers[i], numbers[j]) = (numbers[j], numbers[i]);
}
string Tsv(IEnumerable<int> ns) => string.Concat(ns.Select(n => $"{NumberWords.English(n)}\t{NumberWords.Spanish(n)}\n"));
File.WriteAllText(Path.Combine(root, "train.tsv"), Tsv(numbers[..250]));
File.WriteAllText(Path.Combine(root, "valid.tsv"), Tsv(numbers[^100..]));
Console.WriteLine($"1. 250 training pairs, 100 held out, e.g. {NumberWords.English(numbers[^1])} → {
    NumberWords.Spanish(numbers[^1])}");

// 2. A time budget, and everything a run can keep besides its last weights.
string directory = Path.Combine(root, "run");
var run = TrainingRun.Start(new TrainingRunOptions
{
    Directory = directory, TrainFile = Path.Combine(root, "train.tsv"), ValidFile = Path.Combine(root, "valid.tsv"),
    Preset = "tiny", VocabSize = 400, BatchTokens = 512, MaxLength = 24,
    Training = new TrainingOptions
    {
        Steps = int.MaxValue, MaxMinutes = minutes, Lr = 3e-3f, Warmup = 50, EvalEvery = 50, SaveEvery = 50, LogEvery = 10,
        EvalBleu = true, KeepBest = true, BestBy = BestMetric.Bleu, AverageLast = 5, Ema = 0.99f,
    },
});
Console.WriteLine($"2. {run.Describe()}");
run.Trainer.Progress = p =>
{
    if (p.Valid is { Bleu: double bleu } valid)
        Console.WriteLine($"   step {p.Step,5}  {p.Elapsed.TotalSeconds,5:F0} s  lr {p.Lr:E2}  val_loss {valid.Loss:F3}  " +
                          $"BLEU {bleu,6:F2}  chrF {valid.Chrf,6:F2}");
};
run.Run();
var best = run.Trainer.Best!;
Console.WriteLine($"   best evaluation: step {best.Step}; {CheckpointAverage.List(directory).Count} checkpoints kept for averaging");

// 3. The four models a run leaves, scored the same way on the held-out numbers.
string averaged = Path.Combine(root, "average");
var steps = CheckpointAverage.Write(directory, last: Math.Min(5, CheckpointAverage.List(directory).Count), averaged);
var pairs = run.Data.ValidPairs;
Console.WriteLine($"3. scores of the last, best, averaged (steps {string.Join(", ", steps)}) and moving-average models:");
Console.WriteLine("   model     BLEU    chrF   exact");
foreach (var (name, path) in new[]
         {
             ("last", directory), ("best", Path.Combine(directory, Trainer.BestFolder)), ("average", averaged),
             ("ema", Path.Combine(directory, Trainer.EmaFolder)),
         })
{
    var translator = Translator.Load(path);
    var hypotheses = translator.Translate([.. pairs.Select(p => p.Source)]);
    var references = pairs.Select(p => p.Target).ToList();
    double bleu = Bleu.Corpus(hypotheses, [references]).Score, chrf = Chrf.Corpus(hypotheses, [references]).Score;
    Console.WriteLine($"   {name,-7} {bleu,6:F2}  {chrf,6:F2}  {ExactMatch.Fraction(hypotheses, references),6:P0}");
}
var sample = Translator.Load(Path.Combine(directory, Trainer.BestFolder));
Console.WriteLine($"   the best model: {pairs[0].Source} → {sample.Translate(pairs[0].Source)} (reference: {pairs[0].Target})");
if (args.Length < 2) Directory.Delete(root, recursive: true);
