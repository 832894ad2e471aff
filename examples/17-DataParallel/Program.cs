// Enhancement: data parallelism over MPI. Started by mpirun, every process is a rank: each trains on its share of every
// batch and the ranks sum their gradients, so the losses are the ones one process computes with the same settings.
// Usage: mpirun -np 2 dotnet examples/17-DataParallel/bin/Release/net10.0/17-DataParallel.dll [steps=60]
//        dotnet run --project examples/17-DataParallel -c Release -- [steps=60]       (one process: the reference)
using System.Globalization;
using Sharpformer.Distributed;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;

// 1. Under mpirun this process is one rank of a job; alone it is the whole job.
using var world = MpiWorld.IsLaunched ? MpiWorld.Initialize() : null;
var parallel = world is null ? null : new DataParallel(world);
bool leader = parallel?.IsLeader ?? true;
if (world is not null)
{
    var (from, to) = parallel!.Share(32);
    Console.WriteLine($"rank {world.Rank} of {world.Size} on {world.ProcessorName}: examples [{from}, {to}) of a batch of 32");
    world.Barrier();   // the lines above first
}

// 2. The copy task with dropout off (with it, each rank would draw other masks than one process does). Rank 0 alone
// writes the run; every rank computes.
string directory = Directory.CreateTempSubdirectory("sharpformer-dp-example-").FullName;
try
{
    var run = TrainingRun.Start(new TrainingRunOptions
    {
        Directory = Path.Combine(directory, "run"), Task = "copy", Dropout = 0f,
        Training = new TrainingOptions { Steps = steps, LogEvery = steps / 6, EvalEvery = 0, SaveEvery = 0 },
    }, parallel: parallel);
    run.Run();
    if (!leader) return;

    // 3. The losses rank 0 logged: the same as `dotnet 17-DataParallel.dll` alone prints, to float rounding.
    string ranks = world is null ? "1 process" : $"{world.Size} ranks";
    Console.WriteLine($"training loss of the copy task, {ranks}, {steps} steps:");
    foreach (var point in MetricsLog.Read(Path.Combine(directory, "run", MetricsLog.FileName)))
        Console.WriteLine($"  step {point.Step,4}  loss {(float)point.Loss:F5}");
    if (parallel is not null) Console.WriteLine($"time in all-reduce: {parallel.ReduceTime.TotalMilliseconds:F0} ms");
}
finally
{
    Directory.Delete(directory, recursive: true);
}
