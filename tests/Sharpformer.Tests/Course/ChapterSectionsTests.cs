using System.Text.RegularExpressions;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Course;

/// <summary>
/// Every chapter of docs/ has a "Try this" section with measured results, and ends with its sources: the paper and the
/// primary references, linked where they are online.
/// </summary>
public sealed partial class ChapterSectionsTests
{
    private static readonly string Docs = Path.Combine(CliRunner.RepositoryRoot, "docs");

    [Fact]
    public void EveryChapterListsItsSourcesWithAtLeastOneLink()
    {
        foreach (string chapter in Chapters())
        {
            string section = Section(chapter, "Sources");
            var items = section.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToArray();
            Assert.True(items.Length > 0, $"{Path.GetFileName(chapter)}: the Sources section lists nothing");
            Assert.Contains(items, item => Link().IsMatch(item));
        }
    }

    [Fact]
    public void EveryChapterHasATryThisSectionWithTheNumbersToExpect()
    {
        foreach (string chapter in Chapters())
        {
            string section = Section(chapter, "Try this");
            Assert.True(Number().Matches(section).Count >= 2,
                $"{Path.GetFileName(chapter)}: 'Try this' should say what the learner will see, in numbers");
        }
    }

    private static string[] Chapters()
    {
        var chapters = Directory.GetFiles(Docs, "*.md").Where(p => Chapter().IsMatch(Path.GetFileName(p))).ToArray();
        Assert.True(chapters.Length >= 21, $"only {chapters.Length} chapters found in {Docs}");
        return chapters;
    }

    // The text of the "## {title}" section of a chapter, up to the next section.
    private static string Section(string chapter, string title)
    {
        string text = File.ReadAllText(chapter);
        int start = text.IndexOf($"\n## {title}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{Path.GetFileName(chapter)} has no '## {title}' section");
        string section = text[start..];
        int next = section.IndexOf("\n## ", 3, StringComparison.Ordinal);
        return next >= 0 ? section[..next] : section;
    }

    [GeneratedRegex(@"\d+\.\d+|\d[\d,]*\s?(%|ms\b|s\b|MB\b|kB\b|×)")]
    private static partial Regex Number();

    [GeneratedRegex(@"^\d\d-.*\.md$")]
    private static partial Regex Chapter();

    [GeneratedRegex(@"\]\(https://[^)\s]+\)")]
    private static partial Regex Link();
}
