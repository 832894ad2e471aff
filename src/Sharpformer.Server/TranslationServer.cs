using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sharpformer.Server;

/// <summary>
/// Serves models over HTTP on ASP.NET Core's Kestrel: <c>POST /v1/translate</c>, <c>POST /v1/generate</c>,
/// <c>GET /v1/health</c>, <c>/v1/models</c>, <c>/v1/model</c> and <c>/openapi.json</c> (docs/20-serving.md).
/// Each model decodes on its own thread, merging concurrent requests into batches.
/// <code>
/// await using var server = await TranslationServer.StartAsync([ServedModel.Open("runs/bible")], new ServerOptions { Port = 8080 });
/// await server.WaitForShutdownAsync();   // Ctrl-C: requests in flight finish first
/// </code>
/// </summary>
public sealed class TranslationServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DecodingQueue[] _queues;
    private int _inFlight;

    private TranslationServer(WebApplication app, DecodingQueue[] queues) => (_app, _queues) = (app, queues);

    /// <summary>The address it listens at, with the port chosen when <see cref="ServerOptions.Port"/> was 0.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Translation and generation requests being answered now.</summary>
    public int RequestsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Starts serving <paramref name="models"/> (names must differ; each translator's <see cref="Generation.Translator.BatchSize"/>
    /// becomes <see cref="ServerOptions.MaxBatch"/>); <paramref name="log"/> hears of stops and failures;
    /// <paramref name="cancellation"/> abandons a start that has not finished.
    /// </summary>
    public static async Task<TranslationServer> StartAsync(IReadOnlyList<ServedModel> models, ServerOptions options,
                                                          Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (models.Count == 0) throw new ArgumentException("give at least one model to serve");
        if (models.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"two models are named '{twice.Key}': name them with NAME=DIR");
        if (!IPAddress.TryParse(options.Host == "localhost" ? "127.0.0.1" : options.Host, out var address))
            throw new ArgumentException($"host '{options.Host}' must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0");
        log ??= _ => { };
        foreach (var model in models.Where(m => m.Translator is not null)) model.Translator!.BatchSize = options.MaxBatch;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // The options above are the whole configuration: not the host application's appsettings.json (whose Kestrel
        // endpoints would be bound too) nor ASPNETCORE_ variables.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Kestrel's own body limit (30 MB) stays above ours, so that a refused body is drained and the 413 reaches the client.
            kestrel.Limits.MaxRequestBodySize = Math.Max(30_000_000L, options.MaxBodyBytes + 1L);
            kestrel.Listen(address, options.Port);
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(options.DrainSeconds));
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        var app = builder.Build();

        var arrivals = new Arrivals();
        var queues = models.ToDictionary(m => m.Name, m => new DecodingQueue(m, options, arrivals));
        var server = new TranslationServer(app, [.. queues.Values]);
        var endpoints = new Endpoints(models, queues, options, arrivals, () => server.RequestsInFlight);
        // Errors without a body (a wrong method: 405) get the same JSON object as every other error.
        app.UseStatusCodePages(context => JsonResponse.ErrorAsync(context.HttpContext.Response, context.HttpContext.Response.StatusCode,
            context.HttpContext.Response.StatusCode == 405 ? "method_not_allowed" : "not_found",
            $"no endpoint {context.HttpContext.Request.Method} {context.HttpContext.Request.Path} (see GET /openapi.json)"));
        app.Use(async (context, next) =>
        {
            // What the health check counts: requests routed to a decoding endpoint (routing ignores the path's case).
            bool decoding = HttpMethods.IsPost(context.Request.Method)
                && context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: "/v1/translate" or "/v1/generate" };
            if (decoding) Interlocked.Increment(ref server._inFlight);
            try
            {
                await next(context);
            }
            catch (RequestException e)
            {
                if (e.Code == "overloaded") context.Response.Headers.RetryAfter = "1";   // seconds
                if (e.Code == "unavailable") context.Response.Headers.Connection = "close";   // this server takes no more
                await JsonResponse.ErrorAsync(context.Response, e.Status, e.Code, e.Message);
            }
            catch (BadHttpRequestException e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                // What Kestrel itself refuses: a body over the limit (413), a malformed chunked body, an upload too slow (408).
                await JsonResponse.ErrorAsync(context.Response, e.StatusCode, e.StatusCode == 413 ? "too_large" : "bad_request",
                    e.StatusCode == 413 ? $"the request body exceeds the limit of {options.MaxBodyBytes} bytes" : e.Message);
            }
            catch (BadHttpRequestException)
            {
                // The client went away in the middle of its body: no one to answer.
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: its decoding has stopped and there is no one to answer.
            }
            catch (Exception e)
            {
                log($"error on {context.Request.Method} {context.Request.Path}: {e.GetType().Name}: {e.Message}");
                if (!context.Response.HasStarted)
                    await JsonResponse.ErrorAsync(context.Response, 500, "internal_error", $"{e.GetType().Name}: {e.Message}");
            }
            finally
            {
                if (decoding) Interlocked.Decrement(ref server._inFlight);
            }
        });
        app.MapPost("/v1/translate", endpoints.Translate);
        app.MapPost("/v1/generate", endpoints.Generate);
        app.MapGet("/v1/health", endpoints.Health);
        app.MapGet("/v1/models", endpoints.Models);
        app.MapGet("/v1/model", endpoints.Model);
        app.MapGet("/openapi.json", endpoints.OpenApi);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            endpoints.Stop();
            log(server.RequestsInFlight is var n and > 0 ? $"stopping: {n} request(s) in flight, finishing them first" : "stopping");
        });

        try
        {
            await app.StartAsync(cancellation);
        }
        catch
        {
            // The port is taken, say: nothing may stay behind (the decoding threads, the host).
            foreach (var queue in queues.Values) queue.Dispose();
            await app.DisposeAsync();
            throw;
        }
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    /// <summary>Completes when the server has been stopped (Ctrl-C, SIGTERM or <see cref="StopAsync"/>) and has drained.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>
    /// Stops accepting connections and waits for requests in flight (up to <see cref="ServerOptions.DrainSeconds"/>, or
    /// until <paramref name="cancellation"/> says to stop waiting).
    /// </summary>
    public Task StopAsync(CancellationToken cancellation = default) => _app.StopAsync(cancellation);

    /// <summary>Stops the server and its decoding threads.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        foreach (var queue in _queues) queue.Dispose();
        await _app.DisposeAsync();
    }
}
