using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sharpformer.Generation;

namespace Sharpformer.Server;

/// <summary>
/// The handlers of the HTTP API: POST /v1/translate and /v1/generate, GET /v1/health, /v1/models, /v1/model and
/// /openapi.json. Each reads and checks its request in full before queueing any decoding, so a bad request costs nothing
/// and disturbs no other.
/// </summary>
internal sealed class Endpoints(IReadOnlyList<ServedModel> models, IReadOnlyDictionary<string, DecodingQueue> queues,
                                ServerOptions options, Arrivals arrivals, Func<int> inFlight)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private volatile bool _stopping;

    /// <summary>From the moment the server starts stopping: health says so (503), and new decoding requests are refused.</summary>
    public void Stop() => _stopping = true;

    private void RefuseWhileStopping()
    {
        if (_stopping) throw RequestException.Stopping();
    }

    public async Task Translate(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        ServedModel model;
        DecodingOptions decoding;
        Task<TranslationOutcome> translating;
        RefuseWhileStopping();
        using (arrivals.Arrive())
        {
            using var json = await RequestBody.ReadAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
            var fields = new RequestFields(json.RootElement);
            model = Choose(fields.String("model"), translation: true);
            string[] texts = fields.Strings("text")
                ?? throw RequestException.Invalid("'text' is required: a string or an array of strings");
            if (texts.Length == 0) throw RequestException.Invalid("'text' is an empty array");
            if (texts.Length > options.MaxTexts)
                throw RequestException.TooLarge($"'text' has {texts.Length} texts; the limit is {options.MaxTexts}");
            CheckLength(texts, "text");
            int nBest = fields.Int("nbest", 1, DecodingRequest.MaxBeam) ?? 1;
            decoding = DecodingRequest.Read(fields, beamAllowed: true);
            if (nBest > 1 && decoding.Method != DecodingMethod.Beam) throw RequestException.Invalid("'nbest' needs 'beam'");
            if (nBest > decoding.BeamSize)
                throw RequestException.Invalid($"'nbest' {nBest} must be at most the beam size {decoding.BeamSize}");
            fields.RejectUnknown();
            translating = queues[model.Name].TranslateAsync(texts, decoding, nBest, context.RequestAborted);
        }
        var outcome = await translating;
        await JsonResponse.WriteAsync(context.Response, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("model", model.Name);
            json.WriteString("decoding", decoding.Name);
            json.WriteStartArray("results");
            foreach (var result in outcome.Results) result.WriteJson(json);
            json.WriteEndArray();
            json.WriteNumber("batch_lines", outcome.BatchLines);
            WriteTimings(json, outcome.QueuedMs, outcome.DecodeMs, start);
            json.WriteEndObject();
        });
    }

    public async Task Generate(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        ServedModel model;
        Task<GenerationOutcome> generating;
        RefuseWhileStopping();
        using (arrivals.Arrive())
        {
            using var json = await RequestBody.ReadAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
            var fields = new RequestFields(json.RootElement);
            model = Choose(fields.String("model"), translation: false);
            string prompt = fields.String("prompt") ?? throw RequestException.Invalid("'prompt' is required: a string");
            CheckLength([prompt], "prompt");
            var decoding = DecodingRequest.Read(fields, beamAllowed: false);
            fields.RejectUnknown();
            var ids = model.Generator!.Tokenizer.Encode(prompt);
            if (ids.Length == 0) throw RequestException.Invalid("'prompt' is empty");
            int limit = model.Generator.Model.Config.MaxLength;
            if (ids.Length >= limit) throw RequestException.TooLarge($"'prompt' has {ids.Length} tokens; the model holds {limit} in all");
            generating = queues[model.Name].GenerateAsync(prompt, decoding,
                decoding.MaxOutputTokens ?? TextGenerator.DefaultMaxTokens, context.RequestAborted);
        }
        var outcome = await generating;
        await JsonResponse.WriteAsync(context.Response, 200, json =>
        {
            var result = outcome.Result;
            json.WriteStartObject();
            json.WriteString("model", model.Name);
            json.WriteString("prompt", result.Prompt);
            json.WriteNumber("prompt_tokens", result.PromptTokens);
            json.WriteString("text", result.Text);
            json.WriteNumber("tokens", result.Tokens.Length);
            json.WriteNumber("score", Math.Round(result.Score, 4));
            json.WriteBoolean("ended", result.Ended);
            WriteTimings(json, outcome.QueuedMs, outcome.DecodeMs, start);
            json.WriteEndObject();
        });
    }

    public Task Health(HttpContext context) => JsonResponse.WriteAsync(context.Response, _stopping ? 503 : 200, json =>
    {
        json.WriteStartObject();
        json.WriteString("status", _stopping ? "stopping" : "ok");   // a load balancer sends new work elsewhere
        json.WriteStartArray("models");
        foreach (var model in models) json.WriteStringValue(model.Name);
        json.WriteEndArray();
        json.WriteNumber("requests_in_flight", inFlight());
        json.WriteNumber("queued_lines", queues.Values.Sum(q => q.QueuedLines));
        json.WriteNumber("uptime_s", Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1));
        json.WriteEndObject();
    });

    public Task Models(HttpContext context) => JsonResponse.WriteAsync(context.Response, 200, json =>
    {
        json.WriteStartObject();
        json.WriteStartArray("models");
        foreach (var model in models) WriteModel(json, model);
        json.WriteEndArray();
        json.WriteEndObject();
    });

    public Task Model(HttpContext context)
    {
        string? name = context.Request.Query["name"].FirstOrDefault();
        if (name is null && models.Count > 1)
            throw RequestException.Invalid($"this server has {models.Count} models: choose one with ?name= ({Names()})");
        var model = name is null ? models[0] : Find(name);
        return JsonResponse.WriteAsync(context.Response, 200, json => WriteModel(json, model));
    }

    public async Task OpenApi(HttpContext context)
    {
        await using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sharpformer.Server.openapi.json")!;
        context.Response.ContentType = "application/json; charset=utf-8";
        await stream.CopyToAsync(context.Response.Body);
    }

    private ServedModel Choose(string? name, bool translation)
    {
        if (name is not null)
        {
            var model = Find(name);
            if (translation && model.Translator is null)
                throw RequestException.Invalid($"model '{name}' is a decoder-only language model: use POST /v1/generate");
            if (!translation && model.Generator is null)
                throw RequestException.Invalid($"model '{name}' is an encoder-decoder (translation) model: use POST /v1/translate");
            return model;
        }
        return models.FirstOrDefault(m => translation ? m.Translator is not null : m.Generator is not null)
            ?? throw RequestException.Invalid(translation
                ? "this server has no translation model: use POST /v1/generate"
                : "this server has no language model: use POST /v1/translate");
    }

    private ServedModel Find(string name) => models.FirstOrDefault(m => m.Name == name)
        ?? throw new RequestException(404, "unknown_model", $"no model named '{name}' (this server has {Names()})");

    private string Names() => string.Join(", ", models.Select(m => m.Name));

    private void CheckLength(string[] texts, string field)
    {
        for (int i = 0; i < texts.Length; i++)
        {
            if (texts[i].Length > options.MaxTextCharacters)
                throw RequestException.TooLarge($"'{field}'{(texts.Length > 1 ? $"[{i}]" : "")} has {texts[i].Length} characters; " +
                                                $"the limit is {options.MaxTextCharacters}");
        }
    }

    private static void WriteTimings(Utf8JsonWriter json, double queuedMs, double decodeMs, long start)
    {
        json.WriteStartObject("timings_ms");
        json.WriteNumber("queued", Math.Round(queuedMs, 2));
        json.WriteNumber("decoding", Math.Round(decodeMs, 2));
        json.WriteNumber("total", Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 2));
        json.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter json, ServedModel model)
    {
        var tokenizer = model.Files.Tokenizer;
        json.WriteStartObject();
        json.WriteString("name", model.Name);
        json.WriteString("kind", model.Kind);
        json.WriteString("endpoint", model.Translator is not null ? "/v1/translate" : "/v1/generate");
        json.WriteNumber("parameters", model.Parameters);
        json.WriteNumber("max_length", model.Files.Model.Config.MaxLength);
        json.WriteStartObject("tokenizer");
        json.WriteString("type", tokenizer.Type);
        json.WriteNumber("vocab_size", tokenizer.VocabSize);
        json.WriteStartArray("special_tokens");
        foreach (var special in tokenizer.SpecialTokens.All) json.WriteStringValue(special.Text);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WritePropertyName("config");
        using (var config = JsonDocument.Parse(model.ConfigJson)) config.RootElement.WriteTo(json);
        json.WriteEndObject();
    }
}
