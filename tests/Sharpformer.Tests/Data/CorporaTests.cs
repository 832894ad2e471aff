using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Sharpformer.Data;

namespace Sharpformer.Tests.Data;

/// <summary>The shipped corpora: the documented split, and the bytes data/README.md vouches for.</summary>
public sealed partial class CorporaTests
{
    [Fact]
    public void TheSplitHasTheDocumentedSizes()
    {
        Assert.Equal(30_717, Corpora.BibleVerses().Count);
        Assert.Equal(28_306, Corpora.BibleVerses(Split.Train).Count);
        Assert.Equal(1_481, Corpora.BibleVerses(Split.Valid).Count);
        Assert.Equal(930, Corpora.BibleVerses(Split.Test).Count);
    }

    [Fact]
    public void TheTestamentsSplitTheBibleByBook()
    {
        var all = Corpora.BibleVerses(Split.Test);
        var oldTestament = Corpora.BibleVerses("bible-ot-en-es", Split.Test);
        var newTestament = Corpora.BibleVerses("bible-nt-en-es", Split.Test);
        Assert.Equal(all.Count, oldTestament.Count + newTestament.Count);
        Assert.Equal(165, newTestament.Count);                       // Matthew 34, Luke 47, John 31, Acts 38, Revelation 15
        Assert.Equal(["Matt", "Luke", "John", "Acts", "Rev"], newTestament.Select(v => v.Book).Distinct());
        Assert.Equal("Gen", oldTestament[0].Book);
        Assert.Equal(7_826, Corpora.BibleVerses().Count(v => v.NewTestament));   // 22 books, Matthew to Revelation
        Assert.Throws<ArgumentException>(() => Corpora.BibleVerses("bible", Split.Test));
    }

    [Fact]
    public void TheSplitTablesInTheReadmeMatchTheData()
    {
        string readme = File.ReadAllText(RepositoryFiles.PathOf("data/README.md"));
        foreach (var (split, name) in new[] { (Split.Test, "test"), (Split.Valid, "valid"), (Split.Train, "train") })
        {
            var row = Regex.Match(readme, $@"^\|\s*{name}\s*\|[^|]*\|\s*([\d,]+)\s*\|", RegexOptions.Multiline);
            Assert.True(row.Success, $"data/README.md has no row for the {name} split");
            Assert.Equal(int.Parse(row.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture),
                Corpora.BibleVerses(split).Count);
        }
    }

    [Fact]
    public void TheSplitsAreDisjointByChapterAndCoverEveryVerse()
    {
        var verses = Corpora.BibleVerses();
        var splitsOfChapter = verses.GroupBy(v => (v.Book, v.Chapter))
            .ToDictionary(g => g.Key, g => g.Select(v => v.Split).Distinct().ToList());
        Assert.All(splitsOfChapter, chapter => Assert.Single(chapter.Value));

        var bySplit = Enum.GetValues<Split>().ToDictionary(s => s, s => Corpora.BibleVerses(s));
        Assert.Equal(verses.Count, bySplit.Values.Sum(v => v.Count));
        var chapters = bySplit.ToDictionary(p => p.Key, p => p.Value.Select(v => (v.Book, v.Chapter)).ToHashSet());
        Assert.False(chapters[Split.Train].Overlaps(chapters[Split.Valid]));
        Assert.False(chapters[Split.Train].Overlaps(chapters[Split.Test]));
        Assert.False(chapters[Split.Valid].Overlaps(chapters[Split.Test]));
        Assert.All(bySplit[Split.Test], v => Assert.Equal(0, v.Chapter % 20));
        Assert.All(bySplit[Split.Valid], v => Assert.Equal(10, v.Chapter % 20));
        Assert.All(bySplit[Split.Train], v => Assert.NotEqual(0, v.Chapter % 10));

        // Each split keeps the canonical order of the whole corpus.
        var index = new Dictionary<BibleVerse, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < verses.Count; i++) index[verses[i]] = i;
        foreach (var part in bySplit.Values)
            Assert.True(part.Select(v => index[v]).Zip(part.Skip(1).Select(v => index[v])).All(p => p.First < p.Second),
                "a split is out of canonical order");
    }

    [Fact]
    public void EveryVerseHasBothSidesAndAPositiveReference()
    {
        Assert.All(Corpora.BibleVerses(), v =>
        {
            Assert.False(string.IsNullOrWhiteSpace(v.Book));
            Assert.True(v.Chapter > 0 && v.Verse > 0, $"{v.Book} {v.Chapter}:{v.Verse}");
            Assert.False(string.IsNullOrWhiteSpace(v.English), $"{v.Book} {v.Chapter}:{v.Verse} has no English");
            Assert.False(string.IsNullOrWhiteSpace(v.Spanish), $"{v.Book} {v.Chapter}:{v.Verse} has no Spanish");
        });
    }

    [Fact]
    public void EveryShippedFileHasTheSha256InTheReadme()
    {
        var documented = ReadmeHashes();
        var shipped = Directory.GetFiles(RepositoryFiles.PathOf("data"), "*.br", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryFiles.PathOf("data"), f).Replace(Path.DirectorySeparatorChar, '/')[..^".br".Length])
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(7, shipped.Count);
        Assert.Equal(shipped, documented.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (name, expected) in documented)
        {
            using var stream = Corpora.Open(name);
            Assert.True(expected == Convert.ToHexStringLower(SHA256.HashData(stream)),
                $"{name}: the decompressed bytes do not have the SHA-256 that data/README.md gives");
        }
    }

    [Fact]
    public void AustenNovelsAreNonEmptyAndStartWithTheirTitle()
    {
        var titles = new Dictionary<string, string>
        {
            ["austen_emma"] = "Emma", ["austen_mansfieldpark"] = "Mansfield Park", ["austen_northangerabbey"] = "Northanger Abbey",
            ["austen_persuasion"] = "Persuasion", ["austen_prideprejudice"] = "Pride and Prejudice",
            ["austen_sensesensibility"] = "Sense and Sensibility",
        };
        Assert.Equal(titles.Keys.Order(), Corpora.AustenNovels.Order());
        foreach (var (novel, title) in titles)
        {
            string text = Corpora.AustenText(novel);
            Assert.True(text.Length > 100_000, $"{novel}: only {text.Length} characters");
            Assert.True(text.StartsWith(title + "\n", StringComparison.OrdinalIgnoreCase),
                $"{novel} starts \"{text[..Math.Min(40, text.Length)]}\", not the title {title}");
            Assert.Contains("Austen", text[..200]);
        }
        Assert.Throws<ArgumentException>(() => Corpora.AustenText("austen_lady_susan"));
        Assert.Throws<FileNotFoundException>(() => Corpora.Open("nothing.tsv"));
    }

    /// <summary>
    /// The SHA-256 values of data/README.md by file (path under data/, without .br): a hash on a table row
    /// belongs to the file that row names (under the section's folder); any other belongs to the section's file.
    /// </summary>
    private static Dictionary<string, string> ReadmeHashes()
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        string? sectionFile = null, sectionFolder = null;
        foreach (string line in File.ReadLines(RepositoryFiles.PathOf("data/README.md")))
        {
            var heading = Regex.Match(line, @"^##\s+(\S+)\.br\b");
            if (heading.Success)
            {
                string name = heading.Groups[1].Value;
                (sectionFile, sectionFolder) = name.Contains('*')
                    ? ((string?)null, name[..(name.LastIndexOf('/') + 1)])
                    : (name, (string?)null);
                continue;
            }
            var hash = Sha256Text().Match(line);
            if (!hash.Success) continue;
            var row = Regex.Match(line, @"^\|\s*([^|\s]+)\s*\|");
            string file = row.Success ? (sectionFolder ?? "") + row.Groups[1].Value
                : sectionFile ?? throw new InvalidDataException($"data/README.md: a SHA-256 outside any file's section: {line}");
            Assert.True(hashes.TryAdd(file, hash.Groups[1].Value), $"data/README.md gives two SHA-256 values for {file}");
        }
        return hashes;
    }

    [GeneratedRegex("`([0-9a-f]{64})`")]
    private static partial Regex Sha256Text();
}
