using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Hardening;

namespace Sharpformer.Tests.Serving;

/// <summary>
/// `sharpformer serve` as applications meet it: a real server process on a loopback port and a real HTTP client —
/// answers equal to `translate`'s, every kind of bad request refused with a JSON error without disturbing others,
/// concurrent requests equal to sequential ones, cancellation, several models, and Ctrl-C draining.
/// </summary>
public sealed class ServeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-serve-").FullName;
    private readonly string _model;

    public ServeTests() => _model = HostileModelDirectory.Write(Path.Combine(_root, "toy"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Texts = ["abc", "ponmlkjih", "", "dcba", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"];

    [Fact]
    public async Task TranslationsEqualTheCommandLinesJsonLines()
    {
        using var server = await ServerProcess.StartAsync("--model", _model);
        using var response = await Post(server, "/v1/translate", new { text = Texts, beam = 3, nbest = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var (code, stdout, stderr) =
            CliRunner.Run(Timeout, ["translate", "--model", _model, "--json", "--beam", "3", "--nbest", "2", .. Texts]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var results = body.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(lines.Length, results.Length);
        for (int i = 0; i < lines.Length; i++) Assert.Equal(lines[i], results[i].GetRawText());
        Assert.Equal("toy", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("beam 3", body.RootElement.GetProperty("decoding").GetString());

        // A temperature too small for float division samples the most likely token, as greedy decoding does; a seed
        // beyond 32 bits is taken.
        using var greedy = await Post(server, "/v1/translate", new { text = Texts });
        using var cold = await Post(server, "/v1/translate",
                                    new { text = Texts, sample = true, temperature = 1e-40, seed = 5_000_000_000 });
        Assert.Equal(HttpStatusCode.OK, cold.StatusCode);
        static string Firsts(JsonDocument answer) => string.Join('|', answer.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("translations").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } t
                ? t.GetProperty("text").GetString() : ""));
        using var greedyBody = JsonDocument.Parse(await greedy.Content.ReadAsStringAsync());
        using var coldBody = JsonDocument.Parse(await cold.Content.ReadAsStringAsync());
        Assert.Equal(Firsts(greedyBody), Firsts(coldBody));
        var timings = body.RootElement.GetProperty("timings_ms");
        Assert.True(timings.GetProperty("total").GetDouble() >= timings.GetProperty("decoding").GetDouble());
    }

    [Fact]
    public async Task ALoraRunIsServedAsItsAdaptersMergedIntoItsBase()
    {
        string adapted = Lora.LoraRunFixture.Write(_model, Path.Combine(_root, "adapted"));

        using var server = await ServerProcess.StartAsync("--model", adapted);
        using var response = await Post(server, "/v1/translate", new { text = Texts });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var served = body.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("translations").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } t
                ? t.GetProperty("text").GetString() : "").ToList();
        var merged = Translator.Load(adapted);
        Assert.Equal(Texts.Select(t => merged.Translate(t)), served);
        Assert.NotEqual(Texts.Select(t => Translator.Load(_model).Translate(t)), served);   // the adapters are not ignored
        using var described = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/model?name=adapted"));
        Assert.Equal(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_model, "config.json")))!.ToJsonString(),
                     System.Text.Json.Nodes.JsonNode.Parse(described.RootElement.GetProperty("config").GetRawText())!.ToJsonString());
    }

    [Fact]
    public async Task ConcurrentRequestsAreBatchedAndAnsweredAsIfAlone()
    {
        using var server = await ServerProcess.StartAsync("--model", _model, "--batch-wait", "50", "--max-batch", "16");
        var translator = Translator.Load(_model);
        var rng = new Rng(3);
        var requests = Enumerable.Range(0, 40).Select(i =>
        {
            string[] texts = [.. Enumerable.Range(0, 1 + i % 3).Select(_ =>
                new string([.. Enumerable.Range(0, 1 + rng.NextInt(12)).Select(_ => (char)('a' + rng.NextInt(16)))]))];
            return (Texts: texts, Beam: i % 2 == 0 ? (int?)null : 2);
        }).ToArray();
        var answers = await Task.WhenAll(requests.Select(async request =>
        {
            using var response = await Post(server, "/v1/translate",
                request.Beam is null ? new { text = request.Texts } : (object)new { text = request.Texts, beam = request.Beam });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        }));
        for (int i = 0; i < requests.Length; i++)
        {
            var options = requests[i].Beam is int beam ? DecodingOptions.Beam(beam) : DecodingOptions.Greedy;
            var expected = requests[i].Texts.Select(text => translator.Translate(text, options));
            var got = answers[i].RootElement.GetProperty("results").EnumerateArray()
                .Select(r => r.GetProperty("translations").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } t
                    ? t.GetProperty("text").GetString() : "");
            Assert.Equal(expected, got);
        }
        int widest = answers.Max(a => a.RootElement.GetProperty("batch_lines").GetInt32());
        Assert.InRange(widest, 2, 16);
        foreach (var answer in answers) answer.Dispose();
    }

    public static TheoryData<string, string?, int, string, string> BadRequests() => new()
    {
        { "malformed JSON", "{\"text\": [\"abc\"", 400, "invalid_json", "not valid JSON" },
        { "not an object", "[\"abc\"]", 400, "invalid_json", "must be a JSON object" },
        { "empty body", "", 400, "invalid_json", "empty" },
        { "text of the wrong type", "{\"text\": 5}", 400, "invalid_request", "'text' must be a string or an array of strings" },
        { "beam of the wrong type", "{\"text\": \"abc\", \"beam\": \"4\"}", 400, "invalid_request", "'beam' must be a whole number" },
        { "no text", "{\"beam\": 2}", 400, "invalid_request", "'text' is required" },
        { "empty text list", "{\"text\": []}", 400, "invalid_request", "'text' is an empty array" },
        { "too many texts", "{\"text\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", 413, "too_large", "'text' has 5 texts; the limit is 4" },
        { "text too long", "{\"text\": [\"a\", \"" + new string('b', 60) + "\"]}", 413, "too_large", "'text'[1] has 60 characters" },
        { "body too large", "{\"text\": \"" + new string('c', 3000) + "\"}", 413, "too_large", "the limit is 2048 bytes" },
        { "unknown model", "{\"text\": \"abc\", \"model\": \"nope\"}", 404, "unknown_model", "no model named 'nope'" },
        { "beam 0", "{\"text\": \"abc\", \"beam\": 0}", 400, "invalid_request", "'beam' must be a whole number from 1 to 32" },
        { "two methods", "{\"text\": \"abc\", \"beam\": 2, \"sample\": true}", 400, "invalid_request", "choose one of" },
        { "temperature without sample", "{\"text\": \"abc\", \"temperature\": 0.5}", 400, "invalid_request", "need \"sample\": true" },
        { "nbest without beam", "{\"text\": \"abc\", \"nbest\": 2}", 400, "invalid_request", "'nbest' needs 'beam'" },
        { "top_p 0", "{\"text\": \"abc\", \"sample\": true, \"top_p\": 0}", 400, "invalid_request", "'top_p' must be a number" },
        { "unknown field", "{\"text\": \"abc\", \"beams\": 4}", 400, "invalid_request", "unknown field 'beams'" },
        { "seed above 2^64", "{\"text\": \"abc\", \"sample\": true, \"seed\": 18446744073709551616}", 400, "invalid_request",
          "'seed' must be a whole number from 0 to 18446744073709551615" },
        { "max_tokens above int", "{\"text\": \"abc\", \"max_tokens\": 5000000000}", 400, "invalid_request",
          "'max_tokens' must be a whole number from 1 to 2147483647" },
        { "field given twice", "{\"text\": \"abc\", \"text\": \"d\"}", 400, "invalid_request", "given twice" },
        { "lone surrogate", "{\"text\": \"ab\\ud800c\"}", 400, "invalid_utf8", "lone surrogate" },
        { "lone surrogate in a name", "{\"te\\udc00xt\": \"abc\"}", 400, "invalid_utf8", "a field name holds a lone surrogate" },
        { "invalid UTF-8", null, 400, "invalid_utf8", "not valid UTF-8" },
        { "generate on a translation model", "{\"prompt\": \"abc\", \"model\": \"toy\"}", 400, "invalid_request",
          "use POST /v1/translate" },
    };

    [Fact]
    public async Task EveryBadRequestGetsAJsonErrorAndDisturbsNoOther()
    {
        using var server =
            await ServerProcess.StartAsync("--model", _model, "--max-texts", "4", "--max-chars", "50", "--max-body-kb", "2");
        var good = Post(server, "/v1/translate", new { text = Enumerable.Repeat("abcdefgh", 4).ToArray(), beam = 4 });
        foreach (var row in BadRequests())
        {
            var (what, body, status, code, message) = ((string)row[0], (string?)row[1], (int)row[2], (string)row[3], (string)row[4]);
            string path = what.StartsWith("generate", StringComparison.Ordinal) ? "/v1/generate" : "/v1/translate";
            var content = new ByteArrayContent(body is null ? [.. "{\"text\": \"ab"u8, 0xFF, .. "c\"}"u8] : Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await server.Client.PostAsync(path, content);
            await AssertError(response, status, code, message, what);
        }
        using (var wrongMethod = await server.Client.GetAsync("/v1/translate"))
            await AssertError(wrongMethod, 405, "method_not_allowed", "no endpoint GET /v1/translate", "GET on translate");
        using (var nowhere = await server.Client.GetAsync("/v2/anything"))
            await AssertError(nowhere, 404, "not_found", "no endpoint GET /v2/anything", "unknown path");
        using (var xml = await server.Client.PostAsync("/v1/translate", new StringContent("<text/>", Encoding.UTF8, "application/xml")))
            await AssertError(xml, 415, "unsupported_media_type", "must be declared application/json", "XML");
        // JSON declared as plain text, a form or nothing: what a web page may post without asking the server first.
        foreach (var type in new[] { "text/plain", "application/x-www-form-urlencoded", "application/jsonx", null })
        {
            using var disguised = await server.Client.PostAsync("/v1/translate", Declared("{\"text\": \"abc\"}", type));
            await AssertError(disguised, 415, "unsupported_media_type", "must be declared application/json", type ?? "no type");
        }
        foreach (var type in new[] { "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/vnd.example+json" })
        {
            using var json = await server.Client.PostAsync("/v1/translate", Declared("{\"text\": \"abc\"}", type));
            Assert.True(json.StatusCode == HttpStatusCode.OK, $"{type}: {(int)json.StatusCode}");
        }
        using var answered = await good;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        using var after = await Post(server, "/v1/translate", new { text = "abc" });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.DoesNotContain("error on", server.Stderr);
    }

    [Fact]
    public async Task MutatedRequestsGetAnAnswerOrAJsonErrorNeverAFailure()
    {
        using var server = await ServerProcess.StartAsync("--model", _model, "--max-texts", "8", "--max-chars", "200");
        byte[][] seeds =
        [
            """{"text": ["abc", "dcba"], "beam": 2, "nbest": 2, "max_tokens": 8}"""u8.ToArray(),
            """{"text": "ponm", "sample": true, "temperature": 0.7, "top_k": 3, "top_p": 0.9, "seed": 4}"""u8.ToArray(),
        ];
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < 300; i++)
        {
            var rng = new Rng(2026 + (ulong)i);
            byte[] body = Fuzz.Mutator.Mutate(rng, seeds[i % seeds.Length], json: true);
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await server.Client.PostAsync("/v1/translate", content);
            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(status is 200 or 400 or 404 or 413, $"input {i}: {status} {text}");
            using var json = JsonDocument.Parse(text);
            Assert.True(status == 200 ? json.RootElement.TryGetProperty("results", out _) : json.RootElement.TryGetProperty("error", out _),
                $"input {i}: {text}");
        }
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0,
            $"the mutations should both keep and break requests: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.DoesNotContain("error on", server.Stderr);
    }

    [Fact]
    public async Task SeveralModelsAreChosenByNameAndDescribed()
    {
        string languageModel = Path.Combine(_root, "lm");
        var config = TransformerConfig.TinyLanguageModel(HostileModelDirectory.Config.TargetVocab) with
        {
            DModel = 16, DimFeedForward = 32, MaxLength = 40,
        };
        ModelDirectory.Save(SequenceModel.Create(config, new Rng(5)), Sharpformer.Data.TrainingData.ToyTokenizer(), languageModel);
        using var server = await ServerProcess.StartAsync("--model", $"reverse={_model}", "--model", languageModel);

        using var models = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/models"));
        var listed = models.RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(["reverse", "lm"], listed.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(["encoder-decoder", "decoder-only"], listed.Select(m => m.GetProperty("kind").GetString()));
        Assert.Equal(Translator.Load(_model).Model.ParameterCount(), listed[0].GetProperty("parameters").GetInt64());
        Assert.Equal("char", listed[0].GetProperty("tokenizer").GetProperty("type").GetString());
        Assert.Equal(40, listed[1].GetProperty("config").GetProperty("max_length").GetInt32());

        using (var one = await server.Client.GetAsync("/v1/model"))
            await AssertError(one, 400, "invalid_request", "choose one with ?name=", "model without a name");
        using (var lm = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/model?name=lm")))
            Assert.Equal("/v1/generate", lm.RootElement.GetProperty("endpoint").GetString());

        using var generated = await Post(server, "/v1/generate", new { prompt = "abc", max_tokens = 12, sample = true, seed = 9 });
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        using var body = JsonDocument.Parse(await generated.Content.ReadAsStringAsync());
        var expected = TextGenerator.Load(languageModel).GenerateDetailed("abc", DecodingOptions.Sample(seed: 9), 12);
        Assert.Equal(expected.Text, body.RootElement.GetProperty("text").GetString());
        Assert.Equal(expected.Tokens.Length, body.RootElement.GetProperty("tokens").GetInt32());
        Assert.Equal(3, body.RootElement.GetProperty("prompt_tokens").GetInt32());

        using (var wrongKind = await Post(server, "/v1/translate", new { text = "abc", model = "lm" }))
            await AssertError(wrongKind, 400, "invalid_request", "use POST /v1/generate", "translate with a language model");
        using (var beam = await Post(server, "/v1/generate", new { prompt = "abc", beam = 2 }))
            await AssertError(beam, 400, "invalid_request", "unknown field 'beam'", "beam search on generate");
        using var health = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheOpenApiDescriptionNamesEveryEndpointAndField()
    {
        using var server = await ServerProcess.StartAsync("--model", _model);
        using var openApi = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi.json"));
        var paths = openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Equal(["/v1/translate", "/v1/generate", "/v1/health", "/v1/models", "/v1/model", "/openapi.json"], paths);
        var schemas = openApi.RootElement.GetProperty("components").GetProperty("schemas");
        HashSet<string> Fields(string schema) => [.. schemas.GetProperty("Decoding").GetProperty("properties").EnumerateObject()
            .Concat(schemas.GetProperty(schema).GetProperty("allOf")[1].GetProperty("properties").EnumerateObject()).Select(p => p.Name)];
        // The server lists the fields it knows when it refuses an unknown one: the description must say the same.
        foreach (var (path, schema, body) in new[] { ("/v1/translate", "TranslateRequest", "{\"text\":\"a\",\"x\":1}"),
                                                     ("/v1/generate", "GenerateRequest", "{\"prompt\":\"a\",\"x\":1}") })
        {
            using var refused = await server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            string message = error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
            if (path == "/v1/generate")
            {
                Assert.Contains("no language model", message);
                continue;
            }
            var known = message[(message.IndexOf("(known: ", StringComparison.Ordinal) + 8)..^1].Split(", ").ToHashSet();
            Assert.Equal(Fields(schema), known);
        }
    }

    [Fact]
    public async Task ACancelledRequestStopsItsDecodingAndCtrlCDrainsTheRest()
    {
        using var server = await ServerProcess.StartAsync("--model", _model, "--threads", "1");
        var heavy = new
        {
            text = Enumerable.Range(0, 256).Select(i => new string((char)('a' + i % 16), 10 + i % 20)).ToArray(),
            beam = 32,
            length_penalty = 0,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var full = await Post(server, "/v1/translate", heavy)) Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        var fullTime = clock.Elapsed;

        // A client that gives up: the server's decoding thread is free again long before the request would have ended.
        using (var giveUp = new CancellationTokenSource(fullTime / 10))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Post(server, "/v1/translate", heavy, giveUp.Token));
        }
        clock.Restart();
        using (var next = await Post(server, "/v1/translate", new { text = "abc" })) Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(clock.Elapsed < fullTime * 0.6,
            $"a request after a cancelled one waited {clock.Elapsed} (the whole decode: {fullTime})");

        // Ctrl-C while a request is decoding: it is answered in full, then the server exits 0.
        var inFlight = Post(server, "/v1/translate", heavy);
        while (!inFlight.IsCompleted)
        {
            using var health = JsonDocument.Parse(await server.Client.GetStringAsync("/v1/health"));
            if (health.RootElement.GetProperty("requests_in_flight").GetInt32() > 0) break;
            await Task.Delay(10);
        }
        server.Interrupt();
        using var drained = await inFlight;
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        using var body = JsonDocument.Parse(await drained.Content.ReadAsStringAsync());
        Assert.Equal(256, body.RootElement.GetProperty("results").GetArrayLength());
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.Contains("stopping: 1 request(s) in flight", server.Stderr);
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Client.GetAsync("/v1/health"));
    }

    [Fact]
    public async Task TheServerListensOnlyWhereItsOptionsSay()
    {
        // ASP.NET Core reads Kestrel endpoints from configuration (environment variables, appsettings.json): a host
        // application's, or a variable left in a shell, must not open a second address.
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int other = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Extra__Url"] = $"http://127.0.0.1:{other}", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{other}",
        };
        using var server = await ServerProcess.StartAsync(environment, "--model", _model);
        using (var health = await server.Client.GetAsync("/v1/health"))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var client = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => client.ConnectAsync(IPAddress.Loopback, other));

        // Without --host, this machine only: 127.0.0.1, not the machine's other addresses.
        Assert.Equal("127.0.0.1", server.Client.BaseAddress!.Host);
        var outward = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (outward is null) return;   // a machine with no other address: nothing more to show
        using var outside = new System.Net.Sockets.TcpClient();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));   // refused, or dropped by a firewall
        var connecting = outside.ConnectAsync(outward, server.Client.BaseAddress.Port, patience.Token).AsTask();
        await Assert.ThrowsAnyAsync<Exception>(() => connecting);
        Assert.False(outside.Connected, $"the server answered on {outward}");
    }

    [Fact]
    public async Task RequestsBeyondMaxQueueAreRefusedWith503AndRetryAfter()
    {
        // One line decoded at a time (--max-batch 1): while lines wait, a request that would queue more than --max-queue 64
        // in all is refused (whichever came second: the 64 beam-searched lines or one of the 8-line requests sent meanwhile);
        // every request taken is answered.
        using var server = await ServerProcess.StartAsync("--model", _model, "--max-queue", "64", "--max-batch", "1", "--threads", "1");
        string[] lines = [.. Enumerable.Range(0, 64).Select(i => new string((char)('a' + i % 26), 8 + i % 9))];
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var responses = new List<HttpResponseMessage>();
            var first = Post(server, "/v1/translate", new { text = lines, beam = 4 });
            do responses.Add(await Post(server, "/v1/translate", new { text = lines[..8] }));
            while (!first.IsCompleted && responses.Count < 1000);
            responses.Add(await first);
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
            Assert.All(responses.Except(refused), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            if (refused.Count > 0)
            {
                Assert.Equal(TimeSpan.FromSeconds(1), refused[0].Headers.RetryAfter?.Delta);
                using var body = JsonDocument.Parse(await refused[0].Content.ReadAsStringAsync());
                var error = body.RootElement.GetProperty("error");
                Assert.Equal("overloaded", error.GetProperty("code").GetString());
                Assert.Contains("the limit is 64", error.GetProperty("message").GetString());
                responses.ForEach(r => r.Dispose());
                return;
            }
            responses.ForEach(r => r.Dispose());
        }
        Assert.Fail("in 5 attempts no request was refused while 64 lines waited");
    }

    [Fact]
    public void BadServerSettingsAreOneLineErrors()
    {
        var (code, _, stderr) = CliRunner.Run(Timeout, "serve", "--model", _model, "--host", "example.com");
        Assert.Equal(1, code);
        Assert.Contains("host 'example.com' must be an IP address", stderr);
        (code, _, stderr) = CliRunner.Run(Timeout, "serve", "--model", _model, "--model", _model);
        Assert.Equal(1, code);
        Assert.Contains("two models are named 'toy'", stderr);
        (code, _, stderr) = CliRunner.Run(Timeout, "serve", "--model", Path.Combine(_root, "missing"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", stderr);
    }

    private static Task<HttpResponseMessage> Post(ServerProcess server, string path, object body,
                                                  CancellationToken cancellation = default) =>
        server.Client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), cancellation);

    // A body sent with exactly this Content-Type header, or none.
    private static ByteArrayContent Declared(string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static async Task AssertError(HttpResponseMessage response, int status, string code, string message, string what)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{what}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString()!);
    }
}
