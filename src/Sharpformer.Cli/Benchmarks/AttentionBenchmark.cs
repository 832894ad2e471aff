using System.Diagnostics;
using System.Text.Json.Serialization;
using Sharpformer.Tensors;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>One sequence length: the tiled op against the reference op, forward + backward.</summary>
internal sealed record AttentionCase(
    [property: JsonPropertyName("seq")] int Length,
    [property: JsonPropertyName("flash_ms")] double FlashMilliseconds,
    [property: JsonPropertyName("reference_ms")] double ReferenceMilliseconds,
    [property: JsonPropertyName("speedup")] double Speedup,
    [property: JsonPropertyName("flash_bytes")] long FlashBytes,
    [property: JsonPropertyName("reference_bytes")] long ReferenceBytes);

/// <summary>Attention forward + backward at batch 4, 8 heads, head size 64, per sequence length.</summary>
internal sealed record AttentionReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("heads")] int Heads,
    [property: JsonPropertyName("head_size")] int HeadSize,
    [property: JsonPropertyName("causal")] bool Causal,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("cases")] IReadOnlyList<AttentionCase> Cases)
{
    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"attention forward + backward, batch {Batch}, {Heads} heads of {HeadSize}, {(Causal ? "causal" : "no mask")}, " +
                         $"{Threads} thread(s); medians of {Rounds} alternating rounds");
        output.WriteLine($"{"seq",6} {"flash ms",10} {"reference ms",13} {"speedup",8} {"flash MB",9} {"reference MB",13}");
        foreach (var c in Cases)
            output.WriteLine($"{c.Length,6} {c.FlashMilliseconds,10:F1} {c.ReferenceMilliseconds,13:F1} {c.Speedup,8:F2} " +
                             $"{c.FlashBytes / 1048576.0,9:F1} {c.ReferenceBytes / 1048576.0,13:F1}");
    }
}

/// <summary>
/// Times <see cref="Tensor.FlashAttention"/> and <see cref="Tensor.Attention"/> (forward and backward,
/// alternating round by round) and counts the bytes each holds besides its inputs and output: what it
/// saves for the backward pass plus every thread's scratch.
/// </summary>
internal static class AttentionBenchmark
{
    private const int Batch = 4, Heads = 8, HeadSize = 64;

    public static AttentionReport Run(IReadOnlyList<int> lengths, bool causal, int threads, int rounds, TextWriter progress)
    {
        var cases = new List<AttentionCase>();
        foreach (int t in lengths)
        {
            var rng = new Rng((ulong)t);
            Tensor Leaf() => Tensor.Normal([Batch, Heads, t, HeadSize], rng).RequireGrad();
            var (q, k, v) = (Leaf(), Leaf(), Leaf());
            var gradient = Tensor.Normal([Batch, Heads, t, HeadSize], rng);
            var mask = causal ? NN.AttentionMask.Causal(t).Additive : null;
            var arena = new TensorArena();
            double Time(Func<Tensor> attend)
            {
                var start = Stopwatch.GetTimestamp();
                using (arena.Activate()) attend().Backward(gradient);
                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Tensor Flash() => Tensor.FlashAttention(q, k, v, causal: causal);
            Tensor Reference() => Tensor.Attention(q, k, v, mask).Output;
            Time(Flash);                                                       // warm-up: JIT, scratch, arena
            Time(Reference);
            var flash = new List<double>();
            var reference = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                flash.Add(Time(Flash));
                reference.Add(Time(Reference));
                progress.Write($"\rseq {t}: round {round + 1}/{rounds}");
            }
            progress.WriteLine();
            double f = Samples.Median(flash), r = Samples.Median(reference);
            cases.Add(new AttentionCase(t, f, r, r / f, Tensor.FlashAttentionBytes(Batch, Heads, t, HeadSize, threads),
                Tensor.AttentionBytes(Batch, Heads, t, t, dropout: false, threads)));
            arena.Trim();
        }
        return new AttentionReport("attention", Batch, Heads, HeadSize, causal, threads, rounds, cases);
    }
}
