using System.Text.RegularExpressions;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Course;

/// <summary>Every chapter of docs/ ends with its sources: the paper and the primary references, linked where they are online.</summary>
public sealed partial class ChapterSourcesTests
{
    [Fact]
    public void EveryChapterListsItsSourcesWithAtLeastOneLink()
    {
        string docs = Path.Combine(CliRunner.RepositoryRoot, "docs");
        var chapters = Directory.GetFiles(docs, "*.md").Where(p => Chapter().IsMatch(Path.GetFileName(p))).ToArray();
        Assert.True(chapters.Length >= 21, $"only {chapters.Length} chapters found in {docs}");
        foreach (string chapter in chapters)
        {
            string text = File.ReadAllText(chapter);
            int start = text.IndexOf("\n## Sources\n", StringComparison.Ordinal);
            Assert.True(start >= 0, $"{Path.GetFileName(chapter)} has no '## Sources' section");
            string section = text[start..];
            int next = section.IndexOf("\n## ", 3, StringComparison.Ordinal);
            if (next >= 0) section = section[..next];
            var items = section.Split('\n').Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToArray();
            Assert.True(items.Length > 0, $"{Path.GetFileName(chapter)}: the Sources section lists nothing");
            Assert.Contains(items, item => Link().IsMatch(item));
        }
    }

    [GeneratedRegex(@"^\d\d-.*\.md$")]
    private static partial Regex Chapter();

    [GeneratedRegex(@"\]\(https://[^)\s]+\)")]
    private static partial Regex Link();
}
