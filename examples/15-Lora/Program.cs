// Enhancement: LoRA. A model trained to reverse letter sequences is adapted to copy them instead, by training
// low-rank adapters beside its frozen weights: a few percent of the parameters, a file a fraction of the model's.
// Usage: dotnet run --project examples/15-Lora -c Release -- [base-steps=400] [adapter-steps=200]
using System.Globalization;
using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int baseSteps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
int adapterSteps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
string root = Directory.CreateTempSubdirectory("sharpformer-lora-example-").FullName;
try
{
    // 1. The base: a tiny model that reverses sequences of the letters a–p.
    string baseDir = Path.Combine(root, "reverse");
    TrainingRun.Start(new TrainingRunOptions
    {
        Directory = baseDir, Task = "reverse", Training = new TrainingOptions { Steps = baseSteps, EvalEvery = 0, SaveEvery = 0 },
    }).Run();

    // 2. Adapters for a new task (copying): rank 4 beside every attention and feed-forward weight.
    string loraDir = Path.Combine(root, "copy-lora");
    var run = TrainingRun.Start(new TrainingRunOptions
    {
        Directory = loraDir, Task = "copy", InitFrom = baseDir,
        Lora = new LoraOptions { Rank = 4, Alpha = 8, Targets = LoraTargets.All },
        Training = new TrainingOptions { Steps = adapterSteps, Lr = 3e-3f, Warmup = 20, EvalEvery = 0, SaveEvery = 0 },
    });
    long trainable = run.Model.Parameters().Where(p => p.RequiresGrad).Sum(p => (long)p.Length);
    Console.WriteLine($"1. base model: {run.Model.ParameterCount() - trainable:N0} parameters, frozen; " +
                      $"adapters: {trainable:N0} trainable ({100.0 * trainable / run.Model.ParameterCount():F1}%)");
    run.Run();

    // 3. What each model does with unseen sequences.
    var rng = new Rng(7);
    var inputs = Enumerable.Range(0, 100)
        .Select(_ => new string([.. Enumerable.Range(0, 4 + rng.NextInt(9)).Select(_ => (char)('a' + rng.NextInt(16)))])).ToList();
    double Copied(Translator t) => t.Translate(inputs).Zip(inputs).Count(p => p.First == p.Second) / (double)inputs.Count;
    double Reversed(Translator t) => t.Translate(inputs).Zip(inputs).Count(p => p.First == new string([.. p.Second.Reverse()]))
                                     / (double)inputs.Count;
    var original = Translator.Load(baseDir);
    var adapted = Translator.Load(loraDir);                 // the base, with the adapters merged into its weights
    Console.WriteLine($"\n2. on 100 unseen sequences:   {"reversed",9} {"copied",7}");
    Console.WriteLine($"   base model               {Reversed(original),9:P0} {Copied(original),7:P0}");
    Console.WriteLine($"   base + adapters          {Reversed(adapted),9:P0} {Copied(adapted),7:P0}");
    Console.WriteLine($"   e.g. {inputs[0]} → {adapted.Translate(inputs[0])}");

    // 4. The files: the adapters alone, and a merged model that decodes as the trained model with its adapters apart.
    long adapterBytes = new FileInfo(Path.Combine(loraDir, LoraDirectory.AdapterFile)).Length;
    long modelBytes = new FileInfo(Path.Combine(baseDir, ModelDirectory.WeightsFile)).Length;
    Console.WriteLine($"\n3. {LoraDirectory.AdapterFile}: {adapterBytes / 1e3:F0} kB, against {modelBytes / 1e3:F0} kB for the model " +
                      $"({LoraDirectory.Describe(LoraDirectory.ReadConfig(loraDir))})");
    ModelCopies.MergeLora(loraDir, Path.Combine(root, "merged"));   // what `sharpformer lora merge` writes
    run.Model.Eval();                                       // each layer still adds the adapter's u·Bᵀ to x·Wᵀ
    var unmerged = new Translator((Transformer)run.Model, run.Data.Tokenizer);
    bool same = Translator.Load(Path.Combine(root, "merged")).Translate(inputs).SequenceEqual(unmerged.Translate(inputs));
    Console.WriteLine($"   merged model decodes as base + adapters: {same}");
}
finally
{
    Directory.Delete(root, recursive: true);
}
