// Enhancement: tensor (model) parallelism, as Megatron-LM splits a Transformer. Each rank keeps a share of every attention
// block's heads and of every feed-forward block's hidden units; a block's first product is split by its outputs, its last
// by its inputs, and one all-reduce per block joins the ranks' partial sums (one more per block in the backward pass).
// Usage: mpirun -np 2 dotnet examples/18-TensorParallel/bin/Release/net10.0/18-TensorParallel.dll [steps=30]
//        dotnet run --project examples/18-TensorParallel -c Release -- [steps=30]   (2 ranks as threads of one process)
using System.Globalization;
using Sharpformer.Distributed;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;

// 1. A small model with 4 heads and 256 hidden units per block, and one batch; the whole model's logits and gradients
// are the reference every rank checks its share against.
var config = TransformerConfig.Tiny(40) with { DModel = 64, Heads = 4, DimFeedForward = 256, Dropout = 0f };
var rng = new Rng(7);
Tensor Ids(int rows, int columns) =>
    Tensor.FromArray([.. Enumerable.Range(0, rows * columns).Select(_ => (float)(4 + rng.NextInt(36)))], rows, columns);
var (source, targetIn, targetOut) = (Ids(8, 12), Ids(8, 10), Ids(8, 10));
var whole = new Transformer(config, new Rng(1));
var wholeLogits = whole.TeacherForcedLogits(source, targetIn).ToArray();
whole.TeacherForcedLoss(source, targetIn, targetOut).Backward();
var wholeGradients = whole.NamedParameters().ToDictionary(p => p.Name, p => p.Value.Grad!.ToArray());

// 2. Under mpirun each process is a rank; alone, the ranks are threads of this process (ThreadGroup).
if (MpiWorld.IsLaunched)
{
    using var world = MpiWorld.Initialize();
    Rank(world);
}
else ThreadGroup.Run(2, Rank);

void Rank(ICommunicator world)
{
    // 3. Every rank builds the same whole model and keeps its share of it.
    var model = new Transformer(config, new Rng(1));
    var group = new TensorParallel(world);
    model.SplitAcross(group);
    long held = model.ParameterCount(), all = whole.ParameterCount();
    int heads = config.Heads / world.Size, units = config.DimFeedForward / world.Size;
    InTurn(world, () => Console.WriteLine($"rank {world.Rank} of {world.Size}: heads [{world.Rank * heads}, {(world.Rank + 1) * heads}) " +
        $"and units [{world.Rank * units}, {(world.Rank + 1) * units}) of every block; {held:N0} of {all:N0} parameters held"));

    // 4. Forward and backward together: the logits come out whole on every rank, the gradients of the shares gather whole.
    var logits = model.TeacherForcedLogits(source, targetIn).ToArray();
    model.TeacherForcedLoss(source, targetIn, targetOut).Backward();
    double logitError = logits.Zip(wholeLogits, (a, b) => Math.Abs(a - b)).Max();
    double gradientError = model.NamedParameters()
        .SelectMany(p => group.Gather(p.Value, p.Value.Grad!.ToArray()).Zip(wholeGradients[p.Name], (a, b) => Math.Abs(a - b))).Max();
    if (world.Rank == 0)
    {
        Console.WriteLine($"against the whole model: logits differ by at most {logitError:E2} " +
                          $"(largest logit {wholeLogits.Max(MathF.Abs):F2}), gradients by at most {gradientError:E2}");
        Console.WriteLine($"all-reduce time of one forward and backward pass: {group.ReduceTime.TotalMilliseconds:F1} ms");
    }

    // 5. Training through the library: TrainingRun.Start splits the model it builds; rank 0 writes the whole model.
    string directory = Path.Combine(Path.GetTempPath(), $"sharpformer-tp-example-{Environment.ProcessId}");
    try
    {
        var run = TrainingRun.Start(new TrainingRunOptions
        {
            Directory = directory, Task = "copy", Dropout = 0f,
            Training = new TrainingOptions { Steps = steps, LogEvery = Math.Max(1, steps / 6), EvalEvery = 0, SaveEvery = 0 },
        }, tensorParallel: new TensorParallel(world));
        run.Run();
        if (world.Rank != 0) return;
        Console.WriteLine($"training loss of the copy task, split over {world.Size} ranks, {steps} steps:");
        foreach (var point in MetricsLog.Read(Path.Combine(directory, MetricsLog.FileName)))
            Console.WriteLine($"  step {point.Step,4}  loss {(float)point.Loss:F5}");
        long saved = Sharpformer.Models.ModelDirectory.Load(directory).ParameterCount();
        Console.WriteLine($"the model directory holds the whole model: {saved:N0} parameters");
    }
    finally
    {
        world.Barrier();   // every rank is done with the directory
        if (world.Rank == 0 && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}

// Runs `print` on each rank in rank order.
static void InTurn(ICommunicator world, Action print)
{
    for (int rank = 0; rank < world.Size; rank++)
    {
        if (rank == world.Rank) print();
        world.Barrier();
    }
}
