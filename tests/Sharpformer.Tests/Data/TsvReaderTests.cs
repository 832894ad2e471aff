using System.Text;
using Sharpformer.Data;

namespace Sharpformer.Tests.Data;

/// <summary>The TSV contract: one pair per line, exactly one tab, both sides non-empty, strict UTF-8; errors name file and line.</summary>
public sealed class TsvReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-tsv-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(byte[] bytes, string name = "pairs.tsv")
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string text, string name = "pairs.tsv") => Write(new UTF8Encoding(false).GetBytes(text), name);

    private static void AssertBadLine(string path, int line, string because)
    {
        var e = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => TsvReader.Read(path));
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(because, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AGoodFileGivesEveryPairInOrder()
    {
        string path = Write("hello\thola\n\nthe cat\tel gato\nñandú 🐦\tave\n");
        var content = TsvReader.Read(path);
        Assert.Equal([("hello", "hola"), ("the cat", "el gato"), ("ñandú 🐦", "ave")], content.Pairs);
        Assert.Equal(0, content.SkippedLines);
    }

    [Fact]
    public void TheLastLineNeedsNoNewlineAndSpacesInsideASideAreKept()
    {
        var content = TsvReader.Read(Write("a b \t c d"));
        Assert.Equal([("a b ", " c d")], content.Pairs);
    }

    [Theory]
    [InlineData("a\tb\nno tab here\nc\td\n", 2, "found 0")]
    [InlineData("a\tb\nc\td\ne\tf\tg\n", 3, "found 2")]
    [InlineData("a\tb\n\n\n\tonly target\n", 4, "source side is empty")]
    [InlineData("a\tb\nonly source\t\n", 2, "target side is empty")]
    [InlineData("a\tb\n   \t \n", 2, "source side is empty")]
    [InlineData("a\tb\nsource\t  \t\n", 2, "found 2")]
    [InlineData("\n\n\n\n\n\n\nx\n", 8, "found 0")]
    public void EachKindOfBadLineIsAnErrorNamingFileAndLine(string text, int line, string because) =>
        AssertBadLine(Write(text), line, because);

    [Theory]
    [InlineData(new byte[] { 0xFF })]                  // never valid
    [InlineData(new byte[] { 0xC3 })]                  // a lead byte without its continuation
    [InlineData(new byte[] { 0xC0, 0xAF })]            // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]      // an encoded surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // past U+10FFFF
    public void InvalidUtf8IsAnErrorNamingFileAndLine(byte[] bad)
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes("ok\tbien\nstill ok\tbien\nbad "));
        bytes.AddRange(bad);
        bytes.AddRange(Encoding.UTF8.GetBytes("\tmalo\nok\tbien\n"));
        AssertBadLine(Write([.. bytes]), 3, "invalid UTF-8");
    }

    [Fact]
    public void CrlfLineEndingsAreRemovedAndLinesStillCounted()
    {
        string path = Write("a\tb\r\nc\td\r\n\r\ne\tf\r\n");
        Assert.Equal([("a", "b"), ("c", "d"), ("e", "f")], TsvReader.Read(path).Pairs);
        AssertBadLine(Write("a\tb\r\n\r\nno tab\r\n", "crlf-bad.tsv"), 3, "found 0");
    }

    [Fact]
    public void ALoneCarriageReturnIsTextNotALineBreak()
    {
        // Only \n ends a line: a \r inside a line stays in the text, and only one \r before \n is removed.
        var content = TsvReader.Read(Write("a\rb\tc\nd\te\r\r\n"));
        Assert.Equal([("a\rb", "c"), ("d", "e\r")], content.Pairs);
        // A file with old Mac line endings is one long line, so its second tab is reported on line 1.
        AssertBadLine(Write("a\tb\rc\td\r", "mac.tsv"), 1, "found 2");
        // A side holding nothing but a carriage return is empty.
        AssertBadLine(Write("a\tb\nc\t\r\r\n", "cr-only.tsv"), 2, "target side is empty");
    }

    [Fact]
    public void AByteOrderMarkAtTheStartIsIgnored()
    {
        var bytes = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes("first\tprimero\nsecond\tsegundo\n")).ToArray();
        var content = TsvReader.Read(Write(bytes));
        Assert.Equal([("first", "primero"), ("second", "segundo")], content.Pairs);
        Assert.Empty(TsvReader.Read(Write(new UTF8Encoding(true).GetPreamble(), "bom-only.tsv")).Pairs);

        // The mark does not shift line numbers.
        var withError = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes("a\tb\nbroken\n")).ToArray();
        AssertBadLine(Write(withError, "bom-bad.tsv"), 2, "found 0");
    }

    [Fact]
    public void SkipBadLinesSkipsAndCountsEveryKind()
    {
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes("one\tuno\nno tab\ntwo\tdos\na\tb\tc\n\tempty source\nempty target\t\n"));
        bytes.AddRange([0x62, 0x61, 0x64, 0xFF, 0x09, 0x78, 0x0A]); // "bad\xFF\tx\n"
        bytes.AddRange(Encoding.UTF8.GetBytes("\nthree\ttres\r\n"));
        var content = TsvReader.Read(Write([.. bytes]), skipBadLines: true);
        Assert.Equal([("one", "uno"), ("two", "dos"), ("three", "tres")], content.Pairs);
        Assert.Equal(5, content.SkippedLines);
    }

    [Fact]
    public void AnEmptyFileHasNoPairs()
    {
        var content = TsvReader.Read(Write(""));
        Assert.Empty(content.Pairs);
        Assert.Equal(0, content.SkippedLines);
        Assert.Empty(TsvReader.Read(Write("\n\r\n\n", "blank.tsv")).Pairs);
    }

    [Fact]
    public void AMissingFileIsAnInvalidFileNamingIt()
    {
        string path = Path.Combine(_directory, "does-not-exist.tsv");
        var e = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => TsvReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Throws<Sharpformer.IO.InvalidFileException>(() => TsvReader.Read(path, skipBadLines: true));
    }
}
