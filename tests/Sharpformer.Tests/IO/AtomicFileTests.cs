using Sharpformer.IO;

namespace Sharpformer.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sf-atomic-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void WritesAndReplacesContent()
    {
        string path = PathOf("config.json");
        AtomicFile.WriteAllText(path, "first ü");
        Assert.Equal("first ü"u8.ToArray(), File.ReadAllBytes(path)); // UTF-8, no byte order mark
        AtomicFile.Write(path, s => s.Write("second"u8));
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Single(_dir.GetFiles());
    }

    [Fact]
    public void FailureMidwayKeepsThePreviousFileAndLeavesNoTemporaryFile()
    {
        string path = PathOf("model.bin");
        AtomicFile.WriteAllText(path, "previous");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["model.bin"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void FailureWithNoPreviousFileLeavesNothing()
    {
        Assert.Throws<IOException>(() => AtomicFile.Write(PathOf("new.bin"), _ => throw new IOException("no")));
        Assert.Empty(_dir.GetFiles());
    }

    [Fact]
    public void MissingDirectoryFailsCleanly() =>
        Assert.Contains("x.txt: could not be written",
            Assert.Throws<IOException>(() => AtomicFile.WriteAllText(Path.Combine(_dir.FullName, "absent", "x.txt"), "x")).Message);
}
