using System.Text;
using System.Threading.Channels;
using Sharpformer.IO;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// Lines of an input stream (standard input), read on a background thread as they arrive, in batches of what
/// is already waiting: a person typing gets each line translated as soon as it ends, a piped file gets full
/// batches. Input must be UTF-8: a line that is not is an error naming it, as are lines over <see cref="MaxLineBytes"/>.
/// </summary>
internal static class InputLines
{
    /// <summary>The longest line accepted, in bytes.</summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>
    /// Batches of at most <paramref name="maxBatch"/> lines of <paramref name="input"/>, in order: each waits for one
    /// line, then takes those already read without waiting for more.
    /// </summary>
    public static IEnumerable<string[]> Batches(Stream input, int maxBatch)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true, SingleWriter = true });
        var reader = new Thread(() =>
        {
            try
            {
                foreach (string line in Read(input)) channel.Writer.WriteAsync(line).AsTask().GetAwaiter().GetResult();
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }) { IsBackground = true, Name = "standard input" };
        reader.Start();
        var batch = new List<string>(maxBatch);
        while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < maxBatch && channel.Reader.TryRead(out string? line)) batch.Add(line);
            yield return [.. batch];
            batch.Clear();
        }
    }

    /// <summary>The lines of <paramref name="input"/> (without their line breaks or a leading byte order mark).</summary>
    public static IEnumerable<string> Read(Stream input)
    {
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        int number = 0, read;
        while ((read = input.Read(buffer)) > 0)
        {
            int start = 0;
            for (int newline; (newline = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0; start = newline + 1)
            {
                line.Write(buffer, start, newline - start);
                yield return Decode(line, ++number);
                line.SetLength(0);
            }
            line.Write(buffer, start, read - start);
            if (line.Length > MaxLineBytes) throw new ArgumentException($"standard input line {number + 1} is longer than 1 MiB");
        }
        if (line.Length > 0) yield return Decode(line, ++number);
    }

    private static string Decode(MemoryStream line, int number)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        if (bytes.Length > MaxLineBytes) throw new ArgumentException($"standard input line {number} is longer than 1 MiB");
        if (TextFile.FirstInvalidUtf8(bytes) >= 0) throw new ArgumentException($"standard input line {number} is not valid UTF-8");
        return Encoding.UTF8.GetString(bytes);
    }
}
