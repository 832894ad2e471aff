using System.Text.Json.Serialization;

namespace Sharpformer.Benchmarks;

internal sealed record Result(int M, int N, int K, int Batch, bool TransA, bool TransB, string Use, int Threads,
    double SharpformerGflops, double OpenBlasGflops, double Ratio);

internal sealed record Report(string Benchmark, string OpenBlasCore, string SharpformerPath, string Statistic,
    List<Result> Cases);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(Report))]
internal sealed partial class ReportJson : JsonSerializerContext;
