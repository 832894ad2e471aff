namespace Sharpformer.Server;

/// <summary>Where a <see cref="TranslationServer"/> listens, how it batches, and the limits a request must keep to.</summary>
public sealed record ServerOptions
{
    /// <summary>Address to listen on (default loopback only; "0.0.0.0" for every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="TranslationServer.Url"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Most lines decoded together in one batch.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>
    /// Most milliseconds a batch that is not full waits for requests the server has received but not yet queued
    /// (never when none are arriving, so a lone client pays nothing).
    /// </summary>
    public double BatchWaitMilliseconds { get; init; } = 5;

    /// <summary>
    /// Most lines (texts; a generation counts one) waiting for a model's decoding thread: a request that would queue more
    /// is refused with 503 <c>overloaded</c> and a Retry-After, unless nothing is queued, so that a burst cannot grow
    /// memory and waiting times without bound. At least <see cref="MaxBatch"/>.
    /// </summary>
    public int MaxQueuedLines { get; init; } = 4096;

    /// <summary>Most texts in one translation request (more: 413).</summary>
    public int MaxTexts { get; init; } = 256;

    /// <summary>Most characters in one text or prompt (more: 413).</summary>
    public int MaxTextCharacters { get; init; } = 10_000;

    /// <summary>Most bytes in a request body (more: 413).</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Most seconds Ctrl-C waits for requests in flight before stopping anyway.</summary>
    public double DrainSeconds { get; init; } = 30;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("the host must not be empty");
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} must be from 0 to 65535");
        if (MaxBatch < 1) throw new ArgumentException($"max batch {MaxBatch} must be at least 1");
        if (!(BatchWaitMilliseconds is >= 0 and <= 1000))
            throw new ArgumentException($"batch wait {BatchWaitMilliseconds} ms must be from 0 to 1000");
        if (MaxQueuedLines < MaxBatch)   // a batch being formed waits in the queue
            throw new ArgumentException($"max queued lines {MaxQueuedLines} must be at least the max batch {MaxBatch}");
        if (MaxTexts < 1) throw new ArgumentException($"max texts {MaxTexts} must be at least 1");
        if (MaxTextCharacters < 1) throw new ArgumentException($"max text characters {MaxTextCharacters} must be at least 1");
        if (MaxBodyBytes < 64) throw new ArgumentException($"max body bytes {MaxBodyBytes} must be at least 64");
        if (!(DrainSeconds is >= 0 and <= 3600)) throw new ArgumentException($"drain time {DrainSeconds} s must be from 0 to 3600");
    }
}
