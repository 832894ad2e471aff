using System.Text.Json;

namespace Sharpformer.Tests.Cli;

/// <summary><c>bench train --profile</c>: time per op split by what the threads did; the step's rate against the FMA peak.</summary>
public sealed class BenchTrainProfileTests
{
    [Fact]
    public void TheProfileSplitsEachOpsTimeIntoSerialWorkAndWaitingAndTheReportCountsTheProductsFlops()
    {
        var (code, stdout, stderr) = CliRunner.Run(TimeSpan.FromMinutes(3), "bench", "train", "--config", "small", "--steps", "2",
            "--threads", "2", "--profile", "--json");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var lines = stderr.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("op ") && l.Contains("serial ms") && l.Contains("wait ms"));
        var linear = lines.Single(l => l.StartsWith("Linear ")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double[] times = [.. linear[2..].Select(double.Parse)];   // fwd, bwd, serial, wait (ms per step)
        Assert.All(times, t => Assert.True(t >= 0 && double.IsFinite(t)));
        Assert.True(times[2] + times[3] / 2 < times[0] + times[1], "the serial and waiting shares fit in the op's time");
        Assert.Contains(lines, l => l.StartsWith("threads: ") && l.Contains("idle thread time"));

        using var report = JsonDocument.Parse(stdout.Trim());
        var root = report.RootElement;
        // The small model's products counted by hand: 1,536 token rows each side (64 × 24), d 128, d_ff 512, 2 + 2 layers,
        // 1000 words. Multiply-adds: encoder layer 1536·(4·128² + 2·128·512) + 2·64·24²·128 = 311,427,072; decoder layer
        // 1536·(6·128² + 2·128·512) + 1536·2·128² + 4·64·24²·128 = 421,527,552; output 1536·128·1000 = 196,608,000; in all
        // 1,662,517,248, each 2 flops, three products each (forward, dx, dW): 9.975 GFLOP.
        Assert.Equal(9.98, root.GetProperty("products_gflop_per_step").GetDouble());
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
            Assert.True(root.GetProperty("fma_peak_gflops").GetDouble() > 0);
    }
}
