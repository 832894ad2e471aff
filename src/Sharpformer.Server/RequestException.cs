namespace Sharpformer.Server;

/// <summary>A request the server refuses: the HTTP status, a short machine-readable code, and a message for people.</summary>
internal sealed class RequestException(int status, string code, string message) : Exception(message)
{
    /// <summary>400, 404, 413, 415 or 503.</summary>
    public int Status { get; } = status;

    /// <summary>"invalid_json", "invalid_request", "unknown_model", "too_large", …</summary>
    public string Code { get; } = code;

    /// <summary>A 400 invalid_request.</summary>
    public static RequestException Invalid(string message) => new(400, "invalid_request", message);

    /// <summary>A 413 too_large.</summary>
    public static RequestException TooLarge(string message) => new(413, "too_large", message);

    /// <summary>A 503 unavailable: the server is stopping and takes no more work.</summary>
    public static RequestException Stopping() => new(503, "unavailable", "the server is stopping");

    /// <summary>A 503 overloaded: the client may try again (the response says after how long).</summary>
    public static RequestException Overloaded(string message) => new(503, "overloaded", message);
}
