using Sharpformer.Data;
using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.Hardening;

namespace Sharpformer.Tests.Generation;

/// <summary>The public API for decoder-only models: <see cref="TextGenerator"/>.</summary>
public sealed class TextGeneratorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-generator-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string LanguageModelDirectory()
    {
        string directory = Path.Combine(_root, "lm");
        var config = TransformerConfig.TinyLanguageModel(TrainingData.ToyTokenizer().VocabSize)
            with { DModel = 16, DimFeedForward = 32, Dropout = 0f, MaxLength = 24 };
        ModelDirectory.Save(SequenceModel.Create(config, new Rng(5)), directory);
        TrainingData.ToyTokenizer().Save(Path.Combine(directory, ModelDirectory.TokenizerFile));
        return directory;
    }

    [Fact]
    public void GreedyIsDeterministicAndSamplingFollowsItsSeed()
    {
        var generator = TextGenerator.Load(LanguageModelDirectory());
        Assert.Equal(generator.Generate("abc", maxTokens: 10), generator.Generate("abc", maxTokens: 10));
        var sample = DecodingOptions.Sample(new SamplingOptions(Temperature: 2f), seed: 9);
        Assert.Equal(generator.Generate("abc", sample, 10), generator.Generate("abc", sample, 10));
        var texts = Enumerable.Range(0, 5).Select(seed => generator.Generate("abc", sample with { Seed = (ulong)seed }, 10)).ToList();
        Assert.True(texts.Distinct().Count() > 1, "five seeds gave one text");
        Assert.All(texts, t => Assert.InRange(t.Replace("<unk>", "?").Length, 0, 10));   // one character per token
    }

    [Fact]
    public void OneGeneratorServesThreadsWithDifferentPromptsAndSeedsAtOnce()
    {
        var generator = TextGenerator.Load(LanguageModelDirectory());
        string[] prompts = ["abc", "hello", "z", "ponml"];
        var requests = Enumerable.Range(0, 16).Select(i => (Prompt: prompts[i % prompts.Length],
            Options: i % 3 == 0 ? DecodingOptions.Greedy : DecodingOptions.Sample(new SamplingOptions(Temperature: 1.5f), seed: (ulong)i),
            Tokens: 4 + i % 7)).ToArray();
        var alone = requests.Select(r => generator.Generate(r.Prompt, r.Options, r.Tokens)).ToArray();
        for (int round = 0; round < 3; round++)
        {
            var together = new string[requests.Length];
            Parallel.For(0, requests.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
                i => together[i] = generator.Generate(requests[i].Prompt, requests[i].Options, requests[i].Tokens));
            Assert.Equal(alone, together);
        }
        Assert.True(alone.Distinct().Count() > 8, "the requests should differ");
    }

    [Fact]
    public void TheOptionsLimitTheOutputUnlessTheCallDoes()
    {
        var generator = TextGenerator.Load(LanguageModelDirectory());
        var limited = DecodingOptions.Greedy with { MaxOutputTokens = 3 };
        var result = generator.GenerateDetailed("abc", limited);
        Assert.InRange(result.Tokens.Length, 0, 3);
        Assert.Equal(generator.GenerateDetailed("abc", DecodingOptions.Greedy, maxTokens: 3).Tokens, result.Tokens);
        Assert.Equal(generator.Generate("abc", maxTokens: 5), generator.Generate("abc", limited, maxTokens: 5));   // the call's wins
        Assert.True(generator.GenerateDetailed("abc", DecodingOptions.Greedy).Tokens.Length > 3, "the default (100) should allow more");
    }

    [Fact]
    public void TheModelsLengthBoundsTheOutputAndBadRequestsAreClear()
    {
        var generator = TextGenerator.Load(LanguageModelDirectory());
        Assert.InRange(generator.Generate("abcdefghij", maxTokens: 1000).Replace("<unk>", "?").Length, 0, 24 - 10);
        Assert.Contains("beam search is for translation",
            Assert.Throws<ArgumentException>(() => generator.Generate("abc", DecodingOptions.Beam(2))).Message);
        Assert.Contains("the prompt is empty", Assert.Throws<ArgumentException>(() => generator.Generate("")).Message);
        Assert.Contains("handles 24 in all", Assert.Throws<ArgumentException>(() => generator.Generate(new string('a', 30))).Message);
    }

    [Fact]
    public void EachApiRefusesTheOtherKindOfModel()
    {
        string translation = HostileModelDirectory.Write(Path.Combine(_root, "translation"));
        Assert.Contains("open it with Translator", Assert.Throws<ArgumentException>(() => TextGenerator.Load(translation)).Message);
        Assert.Contains("open it with TextGenerator",
            Assert.Throws<ArgumentException>(() => Translator.Load(LanguageModelDirectory())).Message);
    }
}
