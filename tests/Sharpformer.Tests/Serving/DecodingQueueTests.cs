using Microsoft.AspNetCore.Http;
using Sharpformer.Generation;
using Sharpformer.Server;
using Sharpformer.Tests.Hardening;

namespace Sharpformer.Tests.Serving;

/// <summary>
/// The server's bounds, in process: a queue that refuses work beyond its line limit (503 overloaded) while what it took
/// completes, and a server that is stopping says so on health and refuses new decoding.
/// </summary>
public sealed class DecodingQueueTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-queue-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ABurstBeyondTheQueuesLimitIsRefusedAndWhatWasTakenCompletes()
    {
        var model = ServedModel.Open("toy", HostileModelDirectory.Write(Path.Combine(_root, "toy")));
        var options = new ServerOptions { MaxQueuedLines = 8, MaxBatch = 4 };
        using var queue = new DecodingQueue(model, options, new Arrivals());
        // Sampled requests are decoded one at a time, so a burst queued in microseconds waits behind the first.
        var sampled = DecodingOptions.Sample(new SamplingOptions(), seed: 4);
        string[] texts = ["abcdefghij", "ponmlkjihg", "aabbccddee", "ffgghhiijj"];
        var accepted = new List<Task<TranslationOutcome>>();
        var refused = new List<RequestException>();
        for (int i = 0; i < 40; i++)
        {
            try
            {
                accepted.Add(queue.TranslateAsync(texts, sampled, 1, CancellationToken.None));
            }
            catch (RequestException e)
            {
                refused.Add(e);
            }
        }

        Assert.NotEmpty(refused);
        Assert.InRange(accepted.Count, 1, 39);
        Assert.All(refused, e => Assert.Equal((503, "overloaded"), (e.Status, e.Code)));
        Assert.Contains("the limit is 8", refused[0].Message);
        var outcomes = await Task.WhenAll(accepted);
        Assert.All(outcomes, outcome => Assert.Equal(texts.Length, outcome.Results.Length));
        Assert.Equal(0, queue.QueuedLines);
        Assert.Contains("must be at least the max batch 4",
            Assert.Throws<ArgumentException>(() => (options with { MaxQueuedLines = 3 }).Validate()).Message);
        // A request larger than the limit is still taken when nothing waits.
        var large = await queue.TranslateAsync([.. Enumerable.Repeat("abc", 12)], DecodingOptions.Greedy, 1, CancellationToken.None);
        Assert.Equal(12, large.Results.Length);
    }

    [Fact]
    public async Task AStoppingServerSaysSoOnHealthAndRefusesNewDecoding()
    {
        var model = ServedModel.Open("toy", HostileModelDirectory.Write(Path.Combine(_root, "toy")));
        var options = new ServerOptions();
        var arrivals = new Arrivals();
        using var queue = new DecodingQueue(model, options, arrivals);
        var endpoints = new Endpoints([model], new Dictionary<string, DecodingQueue> { ["toy"] = queue }, options, arrivals, () => 0);

        var health = new DefaultHttpContext();
        health.Response.Body = new MemoryStream();
        await endpoints.Health(health);
        Assert.Equal(200, health.Response.StatusCode);

        endpoints.Stop();
        health = new DefaultHttpContext();
        health.Response.Body = new MemoryStream();
        await endpoints.Health(health);
        Assert.Equal(503, health.Response.StatusCode);
        Assert.Contains("\"status\":\"stopping\"", System.Text.Encoding.UTF8.GetString(((MemoryStream)health.Response.Body).ToArray()));
        var translate = new DefaultHttpContext();
        translate.Request.Body = new MemoryStream("{\"text\": \"abc\"}"u8.ToArray());
        translate.Request.ContentType = "application/json";
        var refused = await Assert.ThrowsAsync<RequestException>(() => endpoints.Translate(translate));
        Assert.Equal((503, "unavailable"), (refused.Status, refused.Code));
    }
}
