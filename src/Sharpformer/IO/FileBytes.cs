namespace Sharpformer.IO;

/// <summary>Reads whole files for the loaders, turning every way that can fail into an <see cref="InvalidFileException"/>.</summary>
internal static class FileBytes
{
    /// <summary>The bytes of <paramref name="path"/>; a missing, unreadable or larger-than-<paramref name="maxBytes"/> file is an error naming it.</summary>
    public static byte[] Read(string path, long maxBytes = 1L << 30)
    {
        if (Directory.Exists(path)) throw new InvalidFileException(path, "is a directory, not a file");
        if (!File.Exists(path)) throw InvalidFileException.Missing(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (stream.Length > maxBytes) throw new InvalidFileException(path, $"is {stream.Length:N0} bytes, more than the {maxBytes:N0} accepted for this kind of file");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidFileException(path, $"cannot be read ({e.Message})", e);
        }
    }
}
