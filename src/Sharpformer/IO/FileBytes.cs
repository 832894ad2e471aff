using System.Runtime.InteropServices;

namespace Sharpformer.IO;

/// <summary>
/// Opens and reads whole files for the loaders, turning every way that can fail into an
/// <see cref="InvalidFileException"/>.
/// </summary>
public static partial class FileBytes
{
    /// <summary>The largest file read by default (1 GiB).</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>
    /// The bytes of <paramref name="path"/>; a missing, unreadable or larger-than-<paramref name="maxBytes"/>
    /// file is an error naming it.
    /// </summary>
    public static byte[] Read(string path, long maxBytes = DefaultMaxBytes)
    {
        using var stream = Open(path, FileOptions.SequentialScan, 1);
        try
        {
            if (stream.Length > maxBytes)
                throw new InvalidFileException(path,
                    $"is {stream.Length:N0} bytes, more than the {maxBytes:N0} accepted for this kind of file");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidFileException)
        {
            throw new InvalidFileException(path, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading. It must be a regular file: a directory, a pipe or a
    /// device is an error rather than a read that blocks forever or has no length.
    /// </summary>
    public static FileStream Open(string path, FileOptions options = FileOptions.SequentialScan, int bufferSize = 1 << 16)
    {
        if (Directory.Exists(path)) throw new InvalidFileException(path, "is a directory, not a file");
        if (!File.Exists(path)) throw InvalidFileException.Missing(path);
        if (!IsRegularFile(path)) throw new InvalidFileException(path, "is not a regular file (a pipe or a device?)");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidFileException(path, $"cannot be read ({e.Message})", e);
        }
    }

    // On Linux, statx (whose layout is the same on every architecture) tells a regular file from a FIFO,
    // which would block the open, or a device; elsewhere .NET's own checks have to do.
    private static unsafe bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        const int AtFdCwd = -100, StatxType = 1, ModeOffset = 28, TypeMask = 0xF000, Regular = 0x8000;
        byte* buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return true;   // let the open report the problem
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return true;
        }
        return (*(ushort*)(buffer + ModeOffset) & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
