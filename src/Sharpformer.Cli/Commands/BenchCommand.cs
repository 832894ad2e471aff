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
        var threads = new Option<int>("--threads")
        {
            Description = "Threads to use (default: all cores).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, out int value) && value >= 1)
                    return value;
                result.AddError($"--threads must be a whole number of at least 1, not '{text}'.");
                return 0;
            },
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on standard output." };

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
