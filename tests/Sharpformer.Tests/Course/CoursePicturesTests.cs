using System.Text.RegularExpressions;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Viz;
using Sharpformer.Viz.Course;
using SkiaSharp;

namespace Sharpformer.Tests.Course;

/// <summary>The course pictures: each drawn, not blank, shown by its chapter and committed in docs/images.</summary>
public sealed partial class CoursePicturesTests : IDisposable
{
    private static readonly string Docs = Path.Combine(CliRunner.RepositoryRoot, "docs");
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-course-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void EveryPictureIsDrawnAndHasSomethingOnIt()
    {
        var paths = CoursePictures.Write(_root);
        Assert.Equal(CoursePictures.All.Select(p => Path.Combine(_root, p.FileName)), paths);
        foreach (string path in paths)
        {
            VizFixtures.AssertPng(path);
            double ink = InkFraction(path);
            Assert.True(ink > 0.02, $"{Path.GetFileName(path)}: only {ink:P1} of the pixels are not white");
        }
    }

    [Fact]
    public void OnlyDrawsTheNamedPicturesAndRejectsUnknownNames()
    {
        var paths = CoursePictures.Write(_root, ["lora-update.png", "tensor-strides.png"]);
        Assert.Equal(new[] { "tensor-strides.png", "lora-update.png" }, paths.Select(Path.GetFileName));
        Assert.Equal(2, Directory.GetFiles(_root).Length);
        var e = Assert.Throws<ArgumentException>(() => CoursePictures.Write(_root, ["tensor_strides.png"]));
        Assert.Contains("no course picture is called 'tensor_strides.png'", e.Message);
        Assert.Contains("tensor-strides.png", e.Message);
    }

    [Fact]
    public void EveryPictureIsCommittedAndShownByItsChapter()
    {
        Assert.Equal(CoursePictures.All.Count, CoursePictures.All.Select(p => p.FileName).Distinct().Count());
        foreach (var picture in CoursePictures.All)
        {
            Assert.True(File.Exists(Path.Combine(Docs, "images", picture.FileName)),
                $"docs/images/{picture.FileName} is missing: run sharpformer viz course --out docs/images");
            string chapter = Path.Combine(Docs, picture.Chapter);
            Assert.True(File.Exists(chapter), $"{picture.FileName} names a chapter that does not exist: {picture.Chapter}");
            Assert.Contains($"](images/{picture.FileName})", File.ReadAllText(chapter));
        }
    }

    [Fact]
    public void EveryImageTheDocsLinkExists()
    {
        foreach (string page in Directory.GetFiles(Docs, "*.md"))
            foreach (Match link in ImageLink().Matches(File.ReadAllText(page)))
                Assert.True(File.Exists(Path.Combine(Docs, link.Groups[1].Value)),
                    $"{Path.GetFileName(page)} links {link.Groups[1].Value}, which does not exist");
    }

    [Fact]
    public void EveryChapterShowsAPicture()
    {
        var chapters = Directory.GetFiles(Docs, "*.md").Select(Path.GetFileName).OfType<string>()
            .Where(name => ChapterName().IsMatch(name)).ToArray();
        Assert.Equal(21, chapters.Length);
        var without = chapters.Where(name => !ImageLink().IsMatch(File.ReadAllText(Path.Combine(Docs, name))))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Empty(without);
    }

    // The share of pixels that are not (nearly) white.
    private static double InkFraction(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        int inked = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (pixel.Red < 235 || pixel.Green < 235 || pixel.Blue < 235) inked++;
            }
        return inked / (double)((bitmap.Height + 1) / 2 * ((bitmap.Width + 1) / 2));
    }

    [GeneratedRegex(@"!\[[^\]]*\]\((images/[^)\s]+)\)")]
    private static partial Regex ImageLink();

    [GeneratedRegex(@"^\d\d-.*\.md$")]
    private static partial Regex ChapterName();
}
