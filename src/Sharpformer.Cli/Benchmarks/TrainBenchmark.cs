using System.Diagnostics;
using System.Text.Json.Serialization;
using Sharpformer.Losses;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// Training-step throughput on a reference configuration (`TransformerConfig.Small` or `Big`), with allocation and GC figures.
/// </summary>
internal sealed record TrainReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("config")] string Config,
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
    [property: JsonPropertyName("step_arena_mb")] double ArenaMegabytes)
{
    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"training steps, {Config} model, batch {Batch} × ({SourceLength} + {TargetLength}) tokens, Adam, dropout 0.1, " +
                         $"{Threads} thread(s)");
        output.WriteLine($"  median step           : {MedianStepMilliseconds,10:F1} ms over {Steps} steps");
        output.WriteLine($"  target tokens/s       : {TargetTokensPerSecond,10:F0}");
        output.WriteLine($"  source+target tokens/s: {TokensPerSecond,10:F0}");
        output.WriteLine($"  allocated per step    : {AllocatedBytesPerStep / 1048576.0,10:F1} MB;  gen-2 collections: {Gen2Collections}");
        output.WriteLine($"  peak working set      : {PeakWorkingSetMegabytes,10:F0} MB (step arena {ArenaMegabytes:F0} MB)");
    }
}

internal static class TrainBenchmark
{
    public static TrainReport Run(string configName, int threads, int steps, TextWriter progress, bool profile = false)
    {
        bool big = configName == "big";
        var config = big ? TransformerConfig.Big() : TransformerConfig.Small();
        int batch = big ? 32 : 64, length = big ? 32 : 24;
        var model = new Transformer(config, new Rng(1));
        var adam = new Adam(model.Parameters(), lr: 1e-4f);
        var rng = new Rng(2);
        Tensor Tokens() => Tensor.FromArray([.. Enumerable.Range(0, batch * length)
            .Select(_ => (float)(SpecialTokens.Count + rng.NextInt(config.SourceVocab - SpecialTokens.Count)))], batch, length);
        var source = Tokens();
        var target = Tokens();
        var expected = Tokens();
        progress.WriteLine($"bench train: {configName} ({model.ParameterCount():N0} parameters), {threads} thread(s), {steps} timed steps");

        var arena = new TensorArena();
        void Step()
        {
            using var memory = arena.Activate();
            Autograd.OpProfiler.Mark();
            var loss = CrossEntropy.Loss(model.Forward(source, target), expected);
            adam.ZeroGrad();
            long start = Stopwatch.GetTimestamp();
            loss.Backward();
            if (Autograd.OpProfiler.Enabled) Autograd.OpProfiler.Add("(backward total)", start);
            start = Stopwatch.GetTimestamp();
            adam.Step();
            if (Autograd.OpProfiler.Enabled) Autograd.OpProfiler.Add("(optimizer)", start);
        }
        for (int i = 0; i < 3; i++) Step(); // warm-up: JIT and optimizer state
        Autograd.OpProfiler.Enabled = profile;
        Autograd.OpProfiler.Reset();
        int gen2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Step();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        long perStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / steps;
        if (profile) WriteProfile(progress, steps);
        times.Sort();
        double median = times[times.Count / 2];
        double targetTokens = batch * length;
        return new TrainReport("train", configName, threads, batch, length, length, steps, median,
            targetTokens / (median / 1000), 2 * targetTokens / (median / 1000), perStep, GC.CollectionCount(2) - gen2,
            Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, arena.RetainedBytes / 1048576.0);
    }

    private static void WriteProfile(TextWriter output, int steps)
    {
        output.WriteLine($"{"op",-28} {"calls",6} {"fwd ms",9} {"bwd ms",9}   (per step)");
        foreach (var e in Autograd.OpProfiler.Entries.OrderByDescending(e => e.ForwardSeconds + e.BackwardSeconds))
            output.WriteLine($"{e.Name,-28} {e.Calls / steps,6} {e.ForwardSeconds * 1000 / steps,9:F2} " +
                             $"{e.BackwardSeconds * 1000 / steps,9:F2}");
        Autograd.OpProfiler.Enabled = false;
    }
}
