using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Sharpformer.Cli.Benchmarks;

/// <summary>One load level: clients each sending one sentence at a time for the given seconds, and what came back.</summary>
internal sealed record ServeLoadCase(int Clients, double Seconds, int Requests, int Errors, double RequestsPerSecond, double P50Ms,
                                     double P99Ms, double MeanBatchLines, double ShareOfOffline);

/// <summary>The result of <c>sharpformer bench serve</c>: load levels against offline batch translation of the same sentences.</summary>
internal sealed record ServeLoadReport(string Benchmark, string Model, int Sentences, int MaxBatch, int Threads,
                                       double OfflineSentencesPerSecond, List<double> OfflineRounds, List<ServeLoadCase> Cases)
{
    public void WriteTable(TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sharpformer serve under load: {Model}, greedy, max batch {MaxBatch}, {Threads} thread(s), {Sentences} distinct sentences"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"offline batch translation: {OfflineSentencesPerSecond:F1} sentences/s (median of {OfflineRounds.Count} rounds, " +
            $"alternating with the load levels)"));
        output.WriteLine($"{"clients",7} {"seconds",7} {"requests",8} {"req/s",7} {"p50 ms",8} {"p99 ms",8} {"errors",6} {"batch",6} " +
                         $"{"share of offline",16}");
        foreach (var c in Cases)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Clients,7} {c.Seconds,7:F1} {c.Requests,8} {c.RequestsPerSecond,7:F1} {c.P50Ms,8:F1} {c.P99Ms,8:F1} {c.Errors,6} " +
                $"{c.MeanBatchLines,6:F1} {c.ShareOfOffline,15:P0}"));
    }
}

/// <summary>
/// Starts <c>sharpformer serve</c> as a child process on a free loopback port and loads it with 1, 8, 64 … concurrent
/// clients, each posting single sentences for a fixed time; between load levels the same sentences are translated
/// offline in this process (batches of the server's size), so the share of offline throughput compares like with like.
/// </summary>
internal static class ServeLoadBenchmark
{
    public static ServeLoadReport Run(string model, IReadOnlyList<string> sentences, int[] clients, double seconds, int maxBatch,
                                      int threads, TextWriter progress)
    {
        var translator = Commands.ModelKinds.OpenTranslator(model);   // a model the server cannot serve is refused here, in one line
        translator.BatchSize = maxBatch;
        using var server = StartServer(model, maxBatch, threads, progress, out var url);
        try
        {
            var offline = new List<double>();
            double Offline()
            {
                var clock = Stopwatch.StartNew();
                translator.Translate(sentences);
                offline.Add(sentences.Count / clock.Elapsed.TotalSeconds);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"offline: {offline[^1]:F1} sentences/s"));
                return offline[^1];
            }
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients.Max() })
            {
                BaseAddress = url, Timeout = TimeSpan.FromMinutes(2),
            };
            Load(http, sentences, Math.Min(8, clients.Max()), 2, progress: null);   // warm-up (JIT, connections), not reported
            var cases = new List<(int Clients, double Seconds, List<double> Latencies, int Errors, double Batch)>();
            foreach (int count in clients)
            {
                Offline();
                var (elapsed, latencies, errors, batch) = Load(http, sentences, count, seconds, progress);
                cases.Add((count, elapsed, latencies, errors, batch));
            }
            Offline();
            double median = Samples.Median(offline);
            return new ServeLoadReport("serve", Path.GetFileName(Path.GetFullPath(model).TrimEnd('/')), sentences.Count, maxBatch, threads,
                median, offline, [.. cases.Select(c => new ServeLoadCase(c.Clients, c.Seconds, c.Latencies.Count, c.Errors,
                    c.Latencies.Count / c.Seconds, Percentile(c.Latencies, 0.50), Percentile(c.Latencies, 0.99), c.Batch,
                    c.Latencies.Count / c.Seconds / median))]);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    // `clients` tasks post sentences in turn for `seconds`: latencies of the answered requests, errors, mean batch_lines.
    private static (double Seconds, List<double> Latencies, int Errors, double Batch) Load(HttpClient http, IReadOnlyList<string> sentences,
        int clients, double seconds, TextWriter? progress)
    {
        int next = -1, errors = 0;
        long batchLines = 0;
        var latencies = new List<double>();
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                string sentence = sentences[(Interlocked.Increment(ref next) & int.MaxValue) % sentences.Count];
                string body = JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = sentence });
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync("/v1/translate", new StringContent(body, Encoding.UTF8, "application/json"));
                    string answer = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                    using var json = JsonDocument.Parse(answer);
                    Interlocked.Add(ref batchLines, json.RootElement.GetProperty("batch_lines").GetInt32());
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToArray();
        Task.WaitAll(tasks);
        double elapsed = clock.Elapsed.TotalSeconds;
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients} client(s): {latencies.Count} requests in {elapsed:F1} s, {errors} errors"));
        return (elapsed, latencies, errors, latencies.Count == 0 ? 0 : (double)batchLines / latencies.Count);
    }

    // The server: this same program (its app host, or `dotnet` and this assembly) running `serve --port 0`.
    private static Process StartServer(string model, int maxBatch, int threads, TextWriter progress, out Uri url)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(ServeLoadBenchmark).Assembly.Location);
        string[] args = ["serve", "--model", model, "--port", "0", "--max-batch", maxBatch.ToString(CultureInfo.InvariantCulture),
                         "--threads", threads.ToString(CultureInfo.InvariantCulture)];
        foreach (string arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start sharpformer serve");
        for (string? line; (line = process.StandardOutput.ReadLine()) is not null;)
        {
            progress.WriteLine(line);
            if (!line.StartsWith("listening on ", StringComparison.Ordinal)) continue;
            url = new Uri(line["listening on ".Length..].Split(' ')[0]);
            _ = process.StandardOutput.ReadToEndAsync();
            return process;
        }
        process.WaitForExit();
        throw new IOException($"sharpformer serve exited with {process.ExitCode} before listening (its error is above)");
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
