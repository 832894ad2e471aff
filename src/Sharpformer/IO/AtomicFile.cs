using System.Text;

namespace Sharpformer.IO;

/// <summary>
/// Writes files so that readers see either the old content or the complete new content, never a
/// partial file: the data goes to a uniquely named temporary file in the same directory, is flushed to
/// disk, and then replaces the target with a rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> atomically. <paramref name="write"/> receives a writable stream
    /// (it must not dispose it). If anything fails, the temporary file is deleted and an existing target is
    /// left untouched; a failed write (a full disk, say) is an <see cref="IOException"/> naming the file.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"AtomicFile: '{path}' names no file", nameof(path));
        string temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            // A full disk is IOException (ENOSPC); a file-size limit is ArgumentOutOfRangeException (EFBIG).
            if (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
                throw new IOException($"{path}: could not be written ({e.Message}); the previous version, if any, is kept", e);
            throw;
        }
    }

    /// <summary>
    /// Deletes the temporary files that writes into <paramref name="directory"/> left behind when their
    /// process was killed (<c>.NAME.&lt;32 hex digits&gt;.tmp</c>); returns how many. Only call it when no
    /// other process is writing there.
    /// </summary>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (string path in Directory.EnumerateFiles(directory, $".*{TempSuffix}"))
        {
            string name = Path.GetFileName(path);
            int dot = name.Length - TempSuffix.Length - 33;   // the '.' before the 32 hex digits
            if (dot < 1 || name[dot] != '.' || name.AsSpan(dot + 1, 32).ContainsAnyExcept("0123456789abcdef")) continue;
            File.Delete(path);
            removed++;
        }
        return removed;
    }

    private const string TempSuffix = ".tmp";

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));
    }
}
