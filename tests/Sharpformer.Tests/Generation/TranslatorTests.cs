using Sharpformer.Generation;
using Sharpformer.Tensors;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Hardening;

namespace Sharpformer.Tests.Generation;

/// <summary>
/// The public inference API: <see cref="Translator"/> and <see cref="DecodingOptions"/>, as a .NET application
/// uses them.
/// </summary>
public sealed class TranslatorTests : IDisposable
{
    private readonly string _directory = HostileModelDirectory.Write(Directory.CreateTempSubdirectory("sharpformer-translator-").FullName);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] Texts = ["abc", "", "ponmlkjihgfedcba", "a", "hello", "dcba"];

    [Theory]
    [InlineData("greedy")]
    [InlineData("beam")]
    public void TranslatingInOneBatchEqualsTranslatingEachTextAlone(string method)
    {
        var translator = Translator.Load(_directory);
        var options = method == "beam" ? DecodingOptions.Beam(3) : DecodingOptions.Greedy;
        var together = translator.Translate(Texts, options);
        Assert.Equal(Texts.Select(text => translator.Translate(text, options)), together);
        Assert.Equal("", together[1]);
        Assert.Contains(together, t => t.Length > 0);
    }

    [Fact]
    public void TheLibraryAndTheCommandLineGiveTheSameTranslations()
    {
        var translator = Translator.Load(_directory);
        var (code, stdout, stderr) = CliRunner.Run(TimeSpan.FromMinutes(1), ["translate", "--model", _directory, "--beam", "2", .. Texts]);
        Assert.True(code == 0, stderr);
        Assert.Equal(translator.Translate(Texts, DecodingOptions.Beam(2)), stdout.Split('\n')[..Texts.Length]);
    }

    [Fact]
    public void SamplingIsReproducibleFromItsSeed()
    {
        var translator = Translator.Load(_directory);
        var options = DecodingOptions.Sample(new SamplingOptions(Temperature: 1.5f), seed: 3);
        Assert.Equal(translator.Translate(Texts, options), translator.Translate(Texts, options));
        Assert.NotEqual(translator.Translate(Texts, options), translator.Translate(Texts, options with { Seed = 4 }));
    }

    [Fact]
    public void OutputsStopAtTheirLimit()
    {
        var translator = Translator.Load(_directory);
        var hypotheses = translator.TranslateIds(Texts, DecodingOptions.Greedy with { MaxOutputTokens = 2 }, new Rng(1));
        Assert.Null(hypotheses[1]);
        Assert.All(hypotheses.OfType<Hypothesis>(), h => Assert.InRange(h.Tokens.Length, 0, 2));
    }

    [Fact]
    public void NBestListsComeBestFirstAndStartWithTheTranslation()
    {
        var translator = Translator.Load(_directory);
        var options = DecodingOptions.Beam(4);
        var lists = translator.TranslateNBest(Texts, 3, options);
        Assert.Equal(Texts.Length, lists.Count);
        Assert.Empty(lists[1]);
        var best = translator.Translate(Texts, options);
        for (int i = 0; i < Texts.Length; i++)
        {
            if (Texts[i].Length == 0) continue;
            Assert.InRange(lists[i].Count, 1, 3);
            Assert.Equal(best[i], lists[i][0].Text);
            Assert.True(lists[i].Zip(lists[i].Skip(1)).All(p => p.First.Score >= p.Second.Score), "scores are not best first");
            Assert.Equal(lists[i].Count, lists[i].Select(t => string.Join(",", t.Tokens)).Distinct().Count());
        }
        Assert.Contains("n-best 5 must be from 1 to the beam size 4",
            Assert.Throws<ArgumentException>(() => translator.TranslateNBest(Texts, 5, options)).Message);
        Assert.Contains("come from beam search",
            Assert.Throws<ArgumentException>(() => translator.TranslateNBest(Texts, 1, DecodingOptions.Greedy)).Message);
    }

    [Theory]
    [InlineData("beam 0", "beam size 0 must be at least 1")]
    [InlineData("top-p 0", "top-p 0 must be in (0, 1]")]
    [InlineData("max 0", "max output tokens 0 must be at least 1")]
    [InlineData("penalty -1", "length penalty -1 must be 0 or more")]
    public void BadOptionsAreClearErrors(string what, string message)
    {
        var options = what switch
        {
            "beam 0" => DecodingOptions.Beam(0),
            "top-p 0" => DecodingOptions.Sample(new SamplingOptions(TopP: 0f)),
            "max 0" => DecodingOptions.Greedy with { MaxOutputTokens = 0 },
            _ => DecodingOptions.Beam(2, lengthPenalty: -1f),
        };
        var translator = Translator.Load(_directory);
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => translator.Translate("abc", options)).Message);
    }
}
