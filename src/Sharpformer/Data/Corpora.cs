using System.Globalization;
using System.IO.Compression;
using System.Reflection;

namespace Sharpformer.Data;

/// <summary>Which part of a corpus: the fixed train / validation / test split.</summary>
public enum Split
{
    /// <summary>Training data.</summary>
    Train,

    /// <summary>Validation data (model selection, early looks).</summary>
    Valid,

    /// <summary>Held-out test data (final figures only).</summary>
    Test,
}

/// <summary>One verse of the English–Spanish Bible corpus.</summary>
public sealed record BibleVerse(string Book, int Chapter, int Verse, string English, string Spanish)
{
    /// <summary>
    /// The fixed split by chapter (data/README.md): test if the chapter number is divisible by 20, validation
    /// if it is 10 mod 20.
    /// </summary>
    public Split Split => Chapter % 20 == 0 ? Split.Test : Chapter % 20 == 10 ? Split.Valid : Split.Train;

    /// <summary>Whether the verse is in the New Testament (Matthew to Revelation) rather than the Old.</summary>
    public bool NewTestament => NewTestamentBooks.Contains(Book);

    private static readonly HashSet<string> NewTestamentBooks =
    [
        "Matt", "Mark", "Luke", "John", "Acts", "Rom", "1Cor", "2Cor", "Gal", "Eph", "Phil", "Col", "1Thess", "2Thess", "1Tim",
        "2Tim", "Titus", "Phlm", "Heb", "Jas", "1Pet", "2Pet", "1John", "2John", "3John", "Jude", "Rev",
    ];
}

/// <summary>The corpora shipped inside the library (data/README.md gives their provenance).</summary>
public static class Corpora
{
    private const string Prefix = "Sharpformer.Data.";
    private static readonly Lazy<IReadOnlyList<BibleVerse>> Bible = new(ReadBible);

    /// <summary>The six Austen novels' file names, in order.</summary>
    public static IReadOnlyList<string> AustenNovels { get; } =
        ["austen_emma", "austen_mansfieldpark", "austen_northangerabbey",
            "austen_persuasion", "austen_prideprejudice", "austen_sensesensibility"];

    /// <summary>All 30,717 English–Spanish verse pairs, in canonical order.</summary>
    public static IReadOnlyList<BibleVerse> BibleVerses() => Bible.Value;

    /// <summary>The verse pairs of one split, in canonical order.</summary>
    public static IReadOnlyList<BibleVerse> BibleVerses(Split split) => [.. Bible.Value.Where(v => v.Split == split)];

    /// <summary>
    /// The verse pairs of a Bible task's split: <c>bible-en-es</c> (every book), <c>bible-ot-en-es</c> (the Old Testament)
    /// or <c>bible-nt-en-es</c> (the New), in canonical order.
    /// </summary>
    /// <exception cref="ArgumentException">Not one of the three task names.</exception>
    public static IReadOnlyList<BibleVerse> BibleVerses(string task, Split split) => task switch
    {
        "bible-en-es" => BibleVerses(split),
        "bible-ot-en-es" => [.. BibleVerses(split).Where(v => !v.NewTestament)],
        "bible-nt-en-es" => [.. BibleVerses(split).Where(v => v.NewTestament)],
        _ => throw new ArgumentException($"'{task}' is not a Bible task (bible-en-es, bible-ot-en-es, bible-nt-en-es)"),
    };

    /// <summary>The text of one Austen novel (a name from <see cref="AustenNovels"/>).</summary>
    public static string AustenText(string novel)
    {
        if (!AustenNovels.Contains(novel))
            throw new ArgumentException($"Corpora: no Austen novel named '{novel}' (known: {string.Join(", ", AustenNovels)})");
        return ReadResourceText($"austen/{novel}.txt.br");
    }

    /// <summary>Opens a shipped file (decompressed) by its path under data/ without the .br suffix, e.g. "bible-web-rv1909.tsv".</summary>
    public static Stream Open(string name)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Prefix + name + ".br")
            ?? throw new FileNotFoundException($"Corpora: the library holds no data file '{name}'");
        return new BrotliStream(stream, CompressionMode.Decompress);
    }

    private static string ReadResourceText(string resource)
    {
        using var reader = new StreamReader(Open(resource[..^3]), new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        return reader.ReadToEnd();
    }

    private static List<BibleVerse> ReadBible()
    {
        const string name = "bible-web-rv1909.tsv";
        var verses = new List<BibleVerse>(31_000);
        using var reader = new StreamReader(Open(name), new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        reader.ReadLine(); // header: book chapter verse english spanish
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            var f = line.Split('\t');
            if (f.Length != 5 || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int chapter)
                || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out int verse))
                throw new InvalidDataException($"{name}:{lineNumber}: expected book, chapter, verse, english, spanish");
            verses.Add(new BibleVerse(f[0], chapter, verse, f[3], f[4]));
        }
        return verses;
    }
}
