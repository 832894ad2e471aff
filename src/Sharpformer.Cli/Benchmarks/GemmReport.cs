using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// One measured product: C[m, n] = op(A)[m, k]·op(B)[k, n], in GFLOP/s (2·m·n·k per call);
/// <c>Use</c> says where training meets it.
/// </summary>
internal sealed record GemmCase(int M, int N, int K, bool TransA, bool TransB, string Use, int Threads, double Gflops);

/// <summary>The result of <c>sharpformer bench gemm</c>, with the FMA peak of the same threads (<see cref="FmaPeak"/>).</summary>
internal sealed record GemmReport(string Benchmark, int Threads, string Statistic, double PeakGflops, List<GemmCase> Cases)
{
    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.GemmReport);

    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"GEMM, {Threads} thread(s), median GFLOP/s of single calls; FMA peak {PeakGflops:0.0} GFLOP/s");
        output.WriteLine($"{"M x K x N",-18} {"A",-3} {"B",-3} {"GFLOP/s",8} {"of peak",8}   use");
        foreach (var c in Cases)
            output.WriteLine($"{$"{c.M} x {c.K} x {c.N}",-18} {(c.TransA ? "T" : "N"),-3} {(c.TransB ? "T" : "N"),-3} " +
                             $"{c.Gflops,8:0.0} {c.Gflops / PeakGflops,8:P0}   {c.Use}");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GemmReport))]
[JsonSerializable(typeof(TokenizerReport))]
[JsonSerializable(typeof(DecodeReport))]
[JsonSerializable(typeof(TrainReport))]
[JsonSerializable(typeof(AttentionReport))]
[JsonSerializable(typeof(AllReduceReport))]
[JsonSerializable(typeof(ServeLoadReport))]
internal sealed partial class CliJson : JsonSerializerContext;
