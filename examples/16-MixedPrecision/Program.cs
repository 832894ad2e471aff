// Enhancement: bf16 mixed precision. The same model trained in float32 and in bf16 (float32 master weights and Adam,
// bfloat16 weight copies and saved activations): the loss curves side by side, then the memory one training step needs.
// Usage: dotnet run --project examples/16-MixedPrecision -c Release -- [steps=300]
using System.Globalization;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
string root = Directory.CreateTempSubdirectory("sharpformer-bf16-example-").FullName;
try
{
    // 1. The copy task, same seed, once per precision: only TrainingOptions.Precision differs.
    float[] Train(Precision precision)
    {
        string directory = Path.Combine(root, precision.ToString());
        TrainingRun.Start(new TrainingRunOptions
        {
            Directory = directory, Task = "copy",
            Training = new TrainingOptions { Steps = steps, LogEvery = steps / 6, EvalEvery = 0, SaveEvery = 0, Precision = precision },
        }).Run();
        return [.. MetricsLog.Read(Path.Combine(directory, MetricsLog.FileName)).Select(point => (float)point.Loss)];
    }
    var (fp32, bf16) = (Train(Precision.Float32), Train(Precision.BFloat16));
    Console.WriteLine($"1. training loss on the copy task ({steps} steps, seed 1):");
    Console.WriteLine($"   {"step",5} {"float32",9} {"bf16",9} {"difference",11}");
    for (int i = 0; i < fp32.Length; i++)
        Console.WriteLine($"   {(i + 1) * (steps / 6),5} {fp32[i],9:F4} {bf16[i],9:F4} {(bf16[i] - fp32[i]) / fp32[i],11:P2}");

    // 2. One step of a 4-layer model on 64 sequences of 48 tokens, in an arena that records the most memory in use at once.
    var config = new TransformerConfig { SourceVocab = 2000, TargetVocab = 2000, DModel = 128, Heads = 4, DimFeedForward = 512,
        EncoderLayers = 2, DecoderLayers = 2 };
    var rng = new Rng(3);
    Tensor Tokens() => Tensor.FromArray([.. Enumerable.Range(0, 64 * 48).Select(_ => (float)(4 + rng.NextInt(1996)))], 64, 48);
    var (source, target, expected) = (Tokens(), Tokens(), Tokens());
    long PeakOfAStep(Precision precision)
    {
        var model = new Transformer(config, new Rng(1));
        var adam = new Adam(model.Parameters(), lr: 1e-3f);
        var arena = new TensorArena();
        using (arena.Activate(precision))
        {
            // Each layer packs what it leaves for the backward pass as it finishes; this packs the rest. The loss is the
            // trainer's: the output layer and cross-entropy as one op, which never holds the [64, 48, 2000] logits.
            TensorArena.PackSince(0, model.TeacherForcedLoss(source, target, expected)).Backward();
            adam.Step();
        }
        return arena.PeakInUseBytes;
    }
    long full = PeakOfAStep(Precision.Float32), mixed = PeakOfAStep(Precision.BFloat16);
    Console.WriteLine($"\n2. memory of one training step's activations and gradients at its peak ({64 * 48} target tokens):");
    Console.WriteLine($"   float32 {full / 1e6,7:F1} MB\n   bf16    {mixed / 1e6,7:F1} MB ({(double)mixed / full:F2}×)");
}
finally
{
    Directory.Delete(root, recursive: true);
}
