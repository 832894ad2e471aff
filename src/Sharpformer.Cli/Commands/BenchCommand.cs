using System.CommandLine;
using Sharpformer.Cli.Benchmarks;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer bench ...</c>: throughput measurements.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Measure throughput.")
    {
        CreateGemm(),
    };

    private static Command CreateGemm()
    {
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();

        var command = new Command("gemm", "Single-precision GEMM throughput (GFLOP/s) on square and Transformer shapes.")
        {
            threads,
            json,
        };
        command.SetAction(result =>
        {
            var report = GemmBenchmark.Run(result.GetValue(threads), Console.Error);
            if (result.GetValue(json))
                Console.WriteLine(report.ToJson());
            else
                report.WriteTable(Console.Out);
            return 0;
        });
        return command;
    }
}
