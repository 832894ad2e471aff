using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>One measured product: C[m, n] = A[m, k]·op(B), in GFLOP/s (2·m·n·k per call).</summary>
internal sealed record GemmCase(int M, int N, int K, bool TransB, int Threads, double Gflops);

/// <summary>The result of <c>sharpformer bench gemm</c>.</summary>
internal sealed record GemmReport(string Benchmark, int Threads, string Statistic, List<GemmCase> Cases)
{
    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.GemmReport);

    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"GEMM, {Threads} thread(s), median GFLOP/s of single calls");
        output.WriteLine($"{"M x K x N",-18} {"B",-10} {"GFLOP/s",8}");
        foreach (var c in Cases)
            output.WriteLine($"{$"{c.M} x {c.K} x {c.N}",-18} {(c.TransB ? "transposed" : "plain"),-10} {c.Gflops,8:0.0}");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GemmReport))]
[JsonSerializable(typeof(TokenizerReport))]
[JsonSerializable(typeof(DecodeReport))]
[JsonSerializable(typeof(TrainReport))]
internal sealed partial class CliJson : JsonSerializerContext;
