using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sharpformer.Server;

/// <summary>Reads a request body as one JSON object, within a size limit, refusing anything else with a clear 4xx.</summary>
internal static class RequestBody
{
    /// <summary>The body of <paramref name="request"/> parsed (the caller disposes it).</summary>
    public static async Task<JsonDocument> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellation)
    {
        if (request.ContentLength > maxBytes)
            throw RequestException.TooLarge($"the request body has {request.ContentLength} bytes; the limit is {maxBytes} bytes");
        if (request.ContentType is { } type && !IsJson(type))
            throw new RequestException(415, "unsupported_media_type", $"the request body must be application/json, not '{type}'");
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        for (int read; (read = await request.Body.ReadAsync(buffer, cancellation)) > 0;)
        {
            if (body.Length + read > maxBytes)
                throw RequestException.TooLarge($"the request body has more than {maxBytes} bytes; the limit is {maxBytes} bytes");
            body.Write(buffer, 0, read);
        }
        var bytes = body.GetBuffer().AsMemory(0, (int)body.Length);
        if (bytes.Length == 0) throw new RequestException(400, "invalid_json", "the request body is empty (expected a JSON object)");
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
            throw new RequestException(400, "invalid_utf8", "the request body is not valid UTF-8");
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new RequestException(400, "invalid_json", $"the request body is not valid JSON: {FirstSentence(e.Message)}");
        }
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            json.Dispose();
            throw new RequestException(400, "invalid_json", "the request body must be a JSON object");
        }
        return json;
    }

    // application/json or a +json type, with any parameters (charset). Not text/plain nor a form: those are what a web
    // page may post to a server on this machine without asking first (CORS), and they would pass for JSON here.
    private static bool IsJson(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is not { } media) return false;
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                   && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    // System.Text.Json's messages end with where the error is ("LineNumber: 0 | BytePositionInLine: 7."): keep the line.
    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0].TrimEnd('.').Trim();
}
