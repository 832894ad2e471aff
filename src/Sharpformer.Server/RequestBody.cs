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
        // Only JSON declared as JSON: not text/plain, a form or no type at all, which a web page may post to a server on
        // this machine without the browser asking the server first (CORS); JSON declared as such it asks about, and this
        // server does not answer.
        if (!request.HasJsonContentType())
            throw new RequestException(415, "unsupported_media_type", request.ContentType is { } type
                ? $"the request body must be declared application/json, not '{type}'"
                : "the request body must be declared application/json (Content-Type: application/json)");
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

    // System.Text.Json's messages end with where the error is ("LineNumber: 0 | BytePositionInLine: 7."): keep the line.
    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0].TrimEnd('.').Trim();
}
