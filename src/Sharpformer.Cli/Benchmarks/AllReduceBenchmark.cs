using System.Diagnostics;
using System.Text;
using System.Text.Json.Serialization;
using Sharpformer.Distributed;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>One message size: the median time of a sum over ranks, and the bandwidths it implies.</summary>
internal sealed record AllReduceCase(
    [property: JsonPropertyName("mib")] int Mebibytes,
    [property: JsonPropertyName("median_ms")] double MedianMilliseconds,
    [property: JsonPropertyName("algorithm_gb_per_s")] double AlgorithmBandwidth,
    [property: JsonPropertyName("bus_gb_per_s")] double BusBandwidth);

/// <summary>All-reduce (sum of float32) over every rank of the job, per message size.</summary>
internal sealed record AllReduceReport(
    [property: JsonPropertyName("benchmark")] string Benchmark,
    [property: JsonPropertyName("ranks")] int Ranks,
    [property: JsonPropertyName("hosts")] IReadOnlyList<string> Hosts,
    [property: JsonPropertyName("library")] string Library,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("cases")] IReadOnlyList<AllReduceCase> Cases)
{
    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"all-reduce (sum of float32) over {Ranks} ranks on {string.Join(", ", Hosts)}; {Library}; " +
                         $"median of {Rounds} rounds, every result checked");
        output.WriteLine($"{"MiB",8} {"ms",9} {"algbw GB/s",11} {"busbw GB/s",11}");
        foreach (var c in Cases)
            output.WriteLine($"{c.Mebibytes,8} {c.MedianMilliseconds,9:F2} {c.AlgorithmBandwidth,11:F2} {c.BusBandwidth,11:F2}");
    }
}

/// <summary>
/// Times <see cref="MpiWorld.AllReduceSum"/> as nccl-tests' all_reduce_perf reports it: algorithm bandwidth is the
/// message size over the time; bus bandwidth scales it by 2(n − 1)/n, the share of the message each rank's link
/// carries in a ring, so it compares across rank counts. Every rank fills its buffer with rank + 1 and checks that the
/// sum n(n + 1)/2 came back everywhere.
/// </summary>
internal static class AllReduceBenchmark
{
    public static AllReduceReport Run(MpiWorld world, IReadOnlyList<int> megabytes, int rounds)
    {
        var hosts = new string[world.Size];
        for (int rank = 0; rank < world.Size; rank++)   // each rank's host name, by a broadcast from each
        {
            var name = new byte[256];
            if (rank == world.Rank) Encoding.UTF8.GetBytes(world.ProcessorName, name);
            world.Broadcast<byte>(name, rank);
            hosts[rank] = Encoding.UTF8.GetString(name).TrimEnd('\0');
        }
        var cases = new List<AllReduceCase>();
        float expected = world.Size * (world.Size + 1) / 2f;
        foreach (int mb in megabytes)
        {
            var values = new float[mb * 262144];
            var times = new double[rounds];
            for (int round = -1; round < rounds; round++)   // round −1 warms up
            {
                Array.Fill(values, world.Rank + 1f);
                world.Barrier();
                long start = Stopwatch.GetTimestamp();
                world.AllReduceSum(values);
                if (round >= 0) times[round] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                int wrong = Array.FindIndex(values, v => v != expected);
                if (wrong >= 0)
                    throw new MpiException($"all-reduce gave {values[wrong]} at element {wrong} on rank {world.Rank}, not {expected}");
            }
            // Each rank's median, then the slowest rank's: a collective is as fast as its last rank.
            var median = new[] { (float)Samples.Median(times) };
            var slowest = new float[world.Size];
            slowest[world.Rank] = median[0];
            world.AllReduceSum(slowest);
            double ms = slowest.Max();
            double gbPerS = mb * 1048576.0 / (ms * 1e6);
            cases.Add(new AllReduceCase(mb, ms, gbPerS, gbPerS * 2 * (world.Size - 1) / world.Size));
        }
        return new AllReduceReport("allreduce", world.Size, [.. hosts.Distinct()], world.LibraryVersion, rounds, cases);
    }
}
