using System.Text.Json;
using Sharpformer.Evaluation;

namespace Sharpformer.Tests.Evaluation;

/// <summary>
/// Corpus BLEU on pre-tokenized text against numbers NLTK's corpus_bleu produced once
/// (fixtures/make_reference.py → fixtures/bleu_nltk.json; see the script for how NLTK's smoothing
/// functions line up with sacreBLEU's).
/// </summary>
public class BleuNltkFixtureTests
{
    private static readonly JsonElement Cases = Load();

    private static JsonElement Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Evaluation", "fixtures", "bleu_nltk.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").Clone();
    }

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases.EnumerateArray()) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    [Fact]
    public void FixtureHasTheAgreedCases() => Assert.True(Cases.GetArrayLength() >= 6);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesNltk(string name)
    {
        var c = Cases.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var hypotheses = c.GetProperty("hypotheses").EnumerateArray().Select(Tokens).ToList();
        var references = c.GetProperty("references").EnumerateArray()
            .Select(refs => (IReadOnlyList<IReadOnlyList<string>>)refs.EnumerateArray().Select(Tokens).ToList()).ToList();
        var smoothing = Enum.Parse<BleuSmoothing>(c.GetProperty("smoothing").GetString()!);

        var score = Bleu.CorpusFromTokens(hypotheses, references, new BleuOptions { Smoothing = smoothing });

        Assert.Equal(c.GetProperty("bleu").GetDouble(), score.Score, 0.01);
        Assert.Equal(Longs(c.GetProperty("counts")), score.Counts);
        Assert.Equal(Longs(c.GetProperty("totals")), score.Totals);
        Assert.Equal(c.GetProperty("hyp_len").GetInt64(), score.SysLen);
        Assert.Equal(c.GetProperty("ref_len").GetInt64(), score.RefLen);
        Assert.Equal(c.GetProperty("bp").GetDouble(), score.BrevityPenalty, 1e-9);
    }

    private static IReadOnlyList<string> Tokens(JsonElement e) => e.EnumerateArray().Select(t => t.GetString()!).ToList();

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();
}
