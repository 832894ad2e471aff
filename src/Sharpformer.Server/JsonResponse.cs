using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sharpformer.Server;

/// <summary>Writes JSON responses (non-ASCII text as it is, not as \u escapes) and the error object every 4xx and 5xx carries.</summary>
internal static class JsonResponse
{
    private static readonly JsonWriterOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Sends <paramref name="status"/> with the object <paramref name="write"/> writes.</summary>
    public static async Task WriteAsync(HttpResponse response, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Readable)) write(writer);
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory);
    }

    /// <summary>Sends <c>{"error": {"code": …, "message": …}}</c> with <paramref name="status"/>.</summary>
    public static Task ErrorAsync(HttpResponse response, int status, string code, string message) =>
        WriteAsync(response, status, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
            json.WriteEndObject();
        });
}
