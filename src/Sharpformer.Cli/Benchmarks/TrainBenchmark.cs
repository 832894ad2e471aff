using System.Diagnostics;
using System.Text.Json.Serialization;
using Sharpformer.Distributed;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Text;
using Sharpformer.Training;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// Training-step throughput on a reference configuration (`TransformerConfig.Small` or `Big`) in one precision, with memory,
/// allocation and GC figures.
/// </summary>
internal sealed record TrainReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("precision")] string Precision,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("source_length")] int SourceLength,
    [property: JsonPropertyName("target_length")] int TargetLength,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("median_step_ms")] double MedianStepMilliseconds,
    [property: JsonPropertyName("target_tokens_per_s")] double TargetTokensPerSecond,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    [property: JsonPropertyName("allocated_bytes_per_step")] long AllocatedBytesPerStep,
    [property: JsonPropertyName("gen2_collections")] int Gen2Collections,
    [property: JsonPropertyName("peak_working_set_mb")] double PeakWorkingSetMegabytes,
    [property: JsonPropertyName("step_peak_mb")] double PeakInUseMegabytes,
    [property: JsonPropertyName("step_arena_mb")] double ArenaMegabytes,
    [property: JsonPropertyName("model_state_mb")] double StateMegabytes,
    [property: JsonPropertyName("ranks")] int Ranks,
    [property: JsonPropertyName("median_wait_ms")] double MedianWaitMilliseconds,
    [property: JsonPropertyName("median_allreduce_ms")] double MedianAllReduceMilliseconds,
    [property: JsonPropertyName("products_gflop_per_step")] double ProductGflop,
    [property: JsonPropertyName("fma_peak_gflops")] double PeakGflops)
{
    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"training steps, {Config} model, {Precision}, batch {Batch} × ({SourceLength} + {TargetLength}) tokens, Adam, " +
                         $"dropout 0.1, {(Ranks > 1 ? $"{Ranks} ranks × " : "")}{Threads} thread(s)");
        output.WriteLine($"  median step           : {MedianStepMilliseconds,10:F1} ms over {Steps} steps");
        if (Ranks > 1)
        {
            output.WriteLine($"  all-reduce per step   : {MedianAllReduceMilliseconds,10:F1} ms " +
                             $"({100 * MedianAllReduceMilliseconds / MedianStepMilliseconds:F1}% of the step; " +
                             $"each rank {Batch / Ranks} examples)");
            output.WriteLine($"  waiting for the others: {MedianWaitMilliseconds,10:F1} ms (a barrier before the all-reduce)");
        }
        output.WriteLine($"  target tokens/s       : {TargetTokensPerSecond,10:F0}");
        if (ProductGflop > 0 && Ranks == 1)
        {
            double rate = ProductGflop / (MedianStepMilliseconds / 1000);
            output.WriteLine($"  matrix products       : {rate,10:F1} GFLOP/s ({ProductGflop:F1} GFLOP a step), " +
                             $"{rate / PeakGflops:P0} of the FMA peak of {Threads} thread(s), {PeakGflops:F1} GFLOP/s");
        }
        output.WriteLine($"  source+target tokens/s: {TokensPerSecond,10:F0}");
        output.WriteLine($"  allocated per step    : {AllocatedBytesPerStep / 1048576.0,10:F1} MB;  gen-2 collections: {Gen2Collections}");
        output.WriteLine($"  step memory, peak     : {PeakInUseMegabytes,10:F1} MB in use at once; the arena holds {ArenaMegabytes:F1} MB");
        output.WriteLine($"  weights, grads, Adam  : {StateMegabytes,10:F1} MB");
        output.WriteLine($"  peak working set      : {PeakWorkingSetMegabytes,10:F0} MB (the process)");
    }

    /// <summary>One line of ratios, <paramref name="other"/> over <paramref name="baseline"/>, from steps that alternated.</summary>
    public static void WriteRatios(TrainReport baseline, TrainReport other, TextWriter output)
    {
        double Total(TrainReport r) => r.PeakInUseMegabytes + r.StateMegabytes;
        double time = other.MedianStepMilliseconds / baseline.MedianStepMilliseconds;
        output.WriteLine($"{other.Precision} / {baseline.Precision}: step time {time:F2}×, " +
                         $"step memory {other.PeakInUseMegabytes / baseline.PeakInUseMegabytes:F2}× at peak " +
                         $"({other.ArenaMegabytes / baseline.ArenaMegabytes:F2}× held by the arena), " +
                         $"with weights, gradients and Adam {Total(other) / Total(baseline):F2}×");
    }
}

internal static class TrainBenchmark
{
    /// <summary>
    /// Times <paramref name="steps"/> training steps for each precision, one step of each in turn (so the machine's
    /// drift hits all alike), each precision with its own model (the same initialization), optimizer and arena.
    /// </summary>
    /// <remarks>
    /// With <paramref name="parallel"/> this process is one rank of an MPI job: it computes its share of the batch and sums
    /// the gradients with the other ranks before each update (<see cref="DataParallel"/>), and the all-reduce is timed.
    /// With <paramref name="split"/> the ranks split the model instead (<see cref="TensorParallel"/>): each computes the whole
    /// batch with its share, and the all-reduces of the forward and backward passes are timed.
    /// </remarks>
    public static TrainReport[] Run(string configName, int threads, int steps, Precision[] precisions, TextWriter progress,
        bool profile = false, DataParallel? parallel = null, TensorParallel? split = null)
    {
        bool big = configName == "big";
        var config = big ? TransformerConfig.Big() : TransformerConfig.Small();
        int batch = big ? 32 : 64, length = big ? 32 : 24;
        var rng = new Rng(2);
        Tensor Tokens() => Tensor.FromArray([.. Enumerable.Range(0, batch * length)
            .Select(_ => (float)(SpecialTokens.Count + rng.NextInt(config.SourceVocab - SpecialTokens.Count)))], batch, length);
        var (source, target, expected) = (Tokens(), Tokens(), Tokens());
        if (parallel is not null)   // this rank's rows: every token counts (no padding), so each share weighs the same
        {
            var (from, to) = parallel.Share(batch);
            if (from == to) throw new ArgumentException($"bench train: {batch} examples cannot be shared by {parallel.World.Size} ranks");
            (source, target, expected) = (source.Slice(0, from, to), target.Slice(0, from, to), expected.Slice(0, from, to));
        }
        var runs = precisions.Select(p => new StepRun(Model(config, split), p, parallel, split, batch)).ToArray();
        string ranks = (parallel is not null ? $"{parallel.World.Size} ranks × " : "")
            + (split is not null ? $"split over {split.Size} ranks (tensor parallel) × " : "");
        long parameters = new Transformer(config, new Rng(1)).ParameterCount();
        progress.WriteLine($"bench train: {configName} ({parameters:N0} parameters), {ranks}{threads} thread(s), " +
                           $"{steps} timed steps of {string.Join(" and ", precisions.Select(PrecisionName))}");

        for (int i = 0; i < 3; i++)   // warm-up: JIT and optimizer state
            foreach (var run in runs) run.Step(source, target, expected);
        Autograd.OpProfiler.Enabled = profile;
        Autograd.OpProfiler.Reset();
        int gen2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < steps; i++)
            foreach (var run in runs)
            {
                var start = Stopwatch.GetTimestamp();
                run.Step(source, target, expected);
                run.Times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        long perStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (steps * runs.Length);
        if (profile) WriteProfile(progress, steps * runs.Length, threads);
        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        double flop = ProductFlop(config, batch, length) / 1e9, fmaPeak = FmaPeak.Measure(threads).Gflops;
        return [.. runs.Select(run =>
        {
            double median = Samples.Median(run.Times);
            double targetTokens = batch * length;
            return new TrainReport("train", configName, PrecisionName(run.Precision), threads, batch, length, length, steps, median,
                targetTokens / (median / 1000), 2 * targetTokens / (median / 1000), perStep, GC.CollectionCount(2) - gen2, peak,
                run.Arena.PeakInUseBytes / 1048576.0, run.Arena.RetainedBytes / 1048576.0, run.StateBytes() / 1048576.0,
                (parallel?.World.Size ?? 1) * (split?.Size ?? 1), run.WaitTimes.Count > 0 ? Samples.Median(run.WaitTimes) : 0,
                run.ReduceTimes.Count > 0 ? Samples.Median(run.ReduceTimes) : 0, Math.Round(flop, 2), Math.Round(fmaPeak, 1));
        })];
    }

    // Floating-point operations of a step's matrix products, counted from the shapes: every Linear (the first layers' dx
    // included: the embeddings learn) and attention's two products, forward and the backward's two products per product.
    private static double ProductFlop(TransformerConfig c, int batch, int length)
    {
        double tokens = (double)batch * length, d = c.DModel, ff = c.DimFeedForward;
        double encoder = tokens * (4 * d * d + 2 * d * ff) + 2 * batch * (double)length * length * d;    // per layer
        double decoder = tokens * (6 * d * d + 2 * d * ff) + tokens * 2 * d * d                          // self, cross q/out, FFN;
            + 4 * batch * (double)length * length * d;                                                    // cross k/v; 2 attentions
        double multiplyAdds = c.EncoderLayers * encoder + c.DecoderLayers * decoder + tokens * d * c.TargetVocab;
        return 2 * 3 * multiplyAdds;
    }

    // The model every run starts from (the same initialization), split over the ranks when they share it.
    private static Transformer Model(TransformerConfig config, TensorParallel? split)
    {
        var model = new Transformer(config, new Rng(1));
        if (split is not null) model.SplitAcross(split);
        return model;
    }

    /// <summary>The name <c>--precision</c> takes: fp32 or bf16.</summary>
    public static string PrecisionName(Precision precision) => precision == Precision.BFloat16 ? "bf16" : "fp32";

    // One model trained step by step in one precision, with its own arena (whose high-water mark is the step's memory).
    // In a data-parallel job each rank's loss is weighted by its share of the batch and the gradients are summed; a split
    // model's time in all-reduce is what its forward and backward passes spent in them.
    private sealed class StepRun(Transformer model, Precision precision, DataParallel? parallel, TensorParallel? split, int batch)
    {
        private readonly Adam _adam = new(model.Parameters(), lr: 1e-4f);

        public Transformer Model => model;
        public Precision Precision => precision;
        public TensorArena Arena { get; } = new();
        public List<double> Times { get; } = [];
        public List<double> WaitTimes { get; } = [];
        public List<double> ReduceTimes { get; } = [];

        public void Step(Tensor source, Tensor target, Tensor expected)
        {
            using var memory = Arena.Activate(precision);
            Autograd.OpProfiler.Mark();
            var reduced = split?.ReduceTime ?? TimeSpan.Zero;
            var loss = TensorArena.PackSince(0, model.TeacherForcedLoss(source, target, expected));
            if (parallel is not null) loss = loss * ((float)source.Size(0) / batch);
            _adam.ZeroGrad();
            var phase = Autograd.OpProfiler.Now();
            loss.Backward();
            if (Autograd.OpProfiler.Enabled) Autograd.OpProfiler.Add(BackwardTotal, phase);
            double reduce = (split?.ReduceTime - reduced)?.TotalMilliseconds ?? 0;   // a split model's, in its passes
            if (parallel is not null)
            {
                long start = Stopwatch.GetTimestamp();   // the ranks' imbalance, apart from the all-reduce's own time
                parallel.World.Barrier();
                WaitTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                phase = Autograd.OpProfiler.Now();
                start = Stopwatch.GetTimestamp();
                parallel.AllReduceGradients(model.Parameters());
                reduce += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (Autograd.OpProfiler.Enabled) Autograd.OpProfiler.Add("(all-reduce)", phase);
            }
            if (parallel is not null || split is not null) ReduceTimes.Add(reduce);
            phase = Autograd.OpProfiler.Now();
            _adam.Step();
            if (Autograd.OpProfiler.Enabled) Autograd.OpProfiler.Add("(optimizer)", phase);
        }

        // Weights, gradients and Adam's two moments (of this rank's share): float32 in both precisions.
        public long StateBytes() => 4L * model.ParameterCount() * sizeof(float);
    }

    private const string BackwardTotal = "(backward total)";

    // Per op and step: forward and backward time, the time with one thread working while the others idle (outside
    // parallel regions) and the threads' waiting inside parallel regions (to wake, and at the join), then their totals.
    private static void WriteProfile(TextWriter output, int steps, int threads)
    {
        double Ms(double seconds) => seconds * 1000 / steps;
        output.WriteLine($"{"op",-28} {"calls",6} {"fwd ms",9} {"bwd ms",9} {"serial ms",10} {"wait ms",9}   (per step)");
        var entries = Autograd.OpProfiler.Entries.OrderByDescending(e => e.ForwardSeconds + e.BackwardSeconds).ToList();
        foreach (var e in entries)
            output.WriteLine($"{e.Name,-28} {e.Calls / steps,6} {Ms(e.ForwardSeconds),9:F2} {Ms(e.BackwardSeconds),9:F2} " +
                             $"{Ms(e.SerialSeconds),10:F2} {Ms(e.WaitSeconds),9:F2}");
        var ops = entries.Where(e => e.Name != BackwardTotal).ToList();
        double total = Ms(ops.Sum(e => e.ForwardSeconds + e.BackwardSeconds));
        double serial = Ms(ops.Sum(e => e.SerialSeconds)), wait = Ms(ops.Sum(e => e.WaitSeconds));
        if (threads > 1)
        {
            double idle = (threads - 1) * serial + wait;
            output.WriteLine($"threads: {total:F1} ms of ops per step, {serial:F1} ms of it on one thread; idle thread time " +
                             $"{idle:F1} ms = {(threads - 1) * serial:F1} ms beside serial work + {wait:F1} ms waiting in " +
                             $"parallel regions ({100 * idle / (threads * total):F1}% of the {threads} threads' time)");
        }
        Autograd.OpProfiler.Enabled = false;
    }
}
