using Sharpformer.Generation;
using Sharpformer.Tensors;
using Sharpformer.Text;
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
    public void OneTranslatorServesSeveralThreadsAtOnce()
    {
        var translator = Translator.Load(_directory);
        var options = DecodingOptions.Beam(2);
        var alone = translator.Translate(Texts, options);
        var together = new IReadOnlyList<string>[8];
        Parallel.For(0, together.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => together[i] = translator.Translate(Texts, options));
        Assert.All(together, t => Assert.Equal(alone, t));
    }

    [Fact]
    public void ThreadsAskingForDifferentTextsAndMethodsAtOnceGetWhatEachWouldAlone()
    {
        // What an application's request handlers do: each thread its own texts, decoding method, batch and list size.
        var translator = Translator.Load(_directory);
        DecodingOptions[] methods =
        [
            DecodingOptions.Greedy, DecodingOptions.Beam(2), DecodingOptions.Beam(4) with { LengthPenalty = 1f },
            DecodingOptions.Sample(new SamplingOptions(Temperature: 1.3f, TopK: 5), seed: 7),
            DecodingOptions.Sample(new SamplingOptions(TopP: 0.8f), seed: 8), DecodingOptions.Greedy with { MaxOutputTokens = 3 },
        ];
        var requests = Enumerable.Range(0, 24).Select(i =>
            (Texts: Texts.Skip(i % Texts.Length).Concat(Texts.Take(i % 4)).ToArray(), Options: methods[i % methods.Length],
             NBest: i % 5 == 0 ? 2 : 1)).ToArray();
        IReadOnlyList<IReadOnlyList<string>> Ask((string[] Texts, DecodingOptions Options, int NBest) r) => r.NBest == 1
            ? [.. translator.Translate(r.Texts, r.Options).Select(t => (IReadOnlyList<string>)[t])]
            : [.. translator.TranslateNBest(r.Texts, DecodingOptions.Beam(3), r.NBest).Select(list =>
                (IReadOnlyList<string>)[.. list.Select(t => $"{t.Text} {t.Score:R} {t.Ended}")])];
        var alone = requests.Select(Ask).ToArray();
        for (int round = 0; round < 3; round++)
        {
            var together = new IReadOnlyList<IReadOnlyList<string>>[requests.Length];
            Parallel.For(0, requests.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => together[i] = Ask(requests[i]));
            for (int i = 0; i < requests.Length; i++) Assert.Equal(alone[i], together[i]);
        }
        Assert.True(alone.Select(a => string.Join('|', a.SelectMany(x => x))).Distinct().Count() > 10, "the requests should differ");
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
        var results = translator.TranslateDetailed(Texts, DecodingOptions.Greedy with { MaxOutputTokens = 2 });
        Assert.Empty(results[1].Hypotheses);
        Assert.All(results.SelectMany(r => r.Hypotheses), h => Assert.InRange(h.Tokens.Length, 0, 2));
        // Cut at the limit, or ended by end-of-sequence before it: the translation says which.
        Assert.All(results.SelectMany(r => r.Hypotheses), h => Assert.Equal(h.Tokens.Length < 2, h.Ended));
        Assert.Contains(results.SelectMany(r => r.Hypotheses), h => !h.Ended);
    }

    [Fact]
    public void NBestListsComeBestFirstAndStartWithTheTranslation()
    {
        var translator = Translator.Load(_directory);
        var options = DecodingOptions.Beam(4);
        var lists = translator.TranslateNBest(Texts, options, 3);
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
            Assert.Throws<ArgumentException>(() => translator.TranslateNBest(Texts, options, 5)).Message);
        Assert.Contains("come from beam search",
            Assert.Throws<ArgumentException>(() => translator.TranslateNBest(Texts, DecodingOptions.Greedy, 1)).Message);
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

    [Fact]
    public void DetailedResultsCountTheTokensCutToFitTheModel()
    {
        var translator = Translator.Load(_directory);
        int room = translator.Model.Config.MaxLength - 2;
        string longText = new('a', room + 7);
        var results = translator.TranslateDetailed(["abc", longText, ""], DecodingOptions.Greedy);
        Assert.Equal((3, 0), (results[0].SourceTokens, results[0].TruncatedTokens));
        Assert.Equal((room, 7), (results[1].SourceTokens, results[1].TruncatedTokens));
        Assert.Equal((0, 0, 0), (results[2].SourceTokens, results[2].TruncatedTokens, results[2].Hypotheses.Count));
        Assert.Equal(translator.Translate(["abc", longText]), results.Take(2).Select(r => r.Text));
        Assert.Equal(translator.Translate(longText), translator.Translate(longText[..room]));
    }

    [Fact]
    public void ASampleDependsOnItsPlaceInTheStreamNotOnHowTheStreamWasBatched()
    {
        var translator = Translator.Load(_directory);
        var options = DecodingOptions.Sample(new SamplingOptions(Temperature: 2f), seed: 5);
        string[] texts = [.. Enumerable.Range(0, 40).Select(i => new string((char)('a' + i % 16), 1 + i % 7) + "bc")];
        var whole = translator.Translate(texts, options);
        var rng = new Rng(options.Seed);
        var parts = new[] { 1, 6, 33 }.Aggregate((List: new List<string>(), Start: 0), (acc, count) =>
        {
            acc.List.AddRange(translator.Translate(texts[acc.Start..(acc.Start + count)], options, rng));
            return (acc.List, acc.Start + count);
        }).List;
        Assert.Equal(whole, parts);
        Assert.True(whole.Distinct().Count() > 10, "the samples hardly differ: the test would not notice a shared generator");
    }

    [Fact]
    public void DecodersNeverEmitASuppressedId()
    {
        var translator = Translator.Load(_directory);
        var model = translator.Model;
        var bias = model.Generator.Bias!.AsSpan();
        int unk = translator.Tokenizer.SpecialTokens.Unk!.Value;
        bias[unk] += 1000f;   // the model now prefers <unk> over everything
        try
        {
            var source = Tensor.FromArray([5f, 6f, 7f, 5f, 9f, 0f], 2, 3);
            Assert.All(Greedy.Decode(model, source, 6), h => Assert.Equal(Enumerable.Repeat(unk, 6), h.Tokens));
            var controls = new DecodingControls([unk]);
            var decoded = Greedy.Decode(model, source, 6, controls: controls)
                .Concat(BeamSearch.Decode(model, source, 3, 6, controls: controls))
                .Concat(Sampler.Decode(model, source, new SamplingOptions(Temperature: 3f), new Rng(1), 6, controls: controls));
            Assert.All(decoded, h => Assert.DoesNotContain(unk, h.Tokens));
        }
        finally
        {
            bias[unk] -= 1000f;
        }
    }

    [Fact]
    public void OnlyAByteLevelVocabularySuppressesUnk()
    {
        var translator = Translator.Load(_directory);
        var config = translator.Model.Config;
        var specials = translator.Tokenizer.SpecialTokens;
        // Characters outside a char vocabulary encode as <unk>, so a char model may emit it; never padding or bos.
        var charControls = DecodingControls.For(translator.Tokenizer, config);
        Assert.DoesNotContain(specials.Unk!.Value, charControls.SuppressedIds!);
        Assert.Contains(specials.Bos!.Value, charControls.SuppressedIds!);
        Assert.DoesNotContain(config.EosId, charControls.SuppressedIds!);
        var bpe = TokenizerTrainer.Train("bpe", ["abc abd abe"], new TokenizerTrainingOptions { VocabSize = 270 });
        var bpeControls = DecodingControls.For(bpe, config with { SourceVocab = bpe.VocabSize, TargetVocab = bpe.VocabSize });
        Assert.Contains(bpe.SpecialTokens.Unk!.Value, bpeControls.SuppressedIds!);
    }

    [Fact]
    public void ACancelledTranslationStops()
    {
        var translator = Translator.Load(_directory);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        foreach (var options in new[] { DecodingOptions.Greedy, DecodingOptions.Beam(3), DecodingOptions.Sample() })
            Assert.ThrowsAny<OperationCanceledException>(() => translator.TranslateDetailed(Texts, options, cancellation: cancelled.Token));
    }
}
