using System.Text.Json.Nodes;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>tokenizer.json: save / load round trips, and clear errors for malformed files.</summary>
public sealed class TokenizerFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ITokenizer Trained(string type) =>
        TokenizerTrainer.Train(type, RoundTripTests.Corpus,
            new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 1, ExtraSpecialTokens = ["<sep>"] });

    [Theory]
    [InlineData("bpe")]
    [InlineData("char")]
    [InlineData("word")]
    public void SaveThenLoadGivesTheSameTokenizer(string type)
    {
        var original = Trained(type);
        string path = Path.Combine(_directory, "tokenizer.json");
        original.Save(path);
        var loaded = ITokenizer.Load(path);

        Assert.Equal(type, loaded.Type);
        Assert.Equal(original.GetType(), loaded.GetType());
        Assert.Equal(original.VocabSize, loaded.VocabSize);
        Assert.Equal(original.SpecialTokens.All, loaded.SpecialTokens.All);
        Assert.Equal(4, loaded.SpecialTokens.IdOf("<sep>"));
        foreach (string text in RoundTripTests.Corpus) Assert.Equal(original.Encode(text), loaded.Encode(text));
        int[] all = [.. Enumerable.Range(0, original.VocabSize)];
        Assert.Equal(original.Decode(all), loaded.Decode(all));
        Assert.Equal([path], Directory.GetFiles(_directory)); // no temporary file left behind

        loaded.Save(path);
        Assert.Equal(original.Encode(RoundTripTests.Corpus[0]), ITokenizer.Load(path).Encode(RoundTripTests.Corpus[0]));
    }

    [Fact]
    public void BpeFileIsReadable()
    {
        string path = Path.Combine(_directory, "tokenizer.json");
        BpeTrainer.Train(["hug hug hug pug pun bun hugs"], new TokenizerTrainingOptions { VocabSize = 1000 }).Save(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("bpe", (string?)json["type"]);
        Assert.Equal("Ġ", (string?)json["vocab"]![4 + ' ']);
        Assert.Equal(["u g", "h ug", "Ġ hug", "Ġ p", "u n"], json["merges"]!.AsArray().Select(node => (string?)node));
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "bpe", "not JSON", "not valid JSON" },
        { "bpe", "format", "\"format\"" },
        { "bpe", "version", "version" },
        { "bpe", "unknown type", "unknown \"type\" 'sentencepiece'" },
        { "bpe", "vocab entry not a string", "\"vocab[5]\" must be a string" },
        { "bpe", "no merges", "needs \"merges\"" },
        { "bpe", "merge of an unknown token", "names 'zz', which is not in the vocab" },
        { "bpe", "merge not two tokens", "merges[0] ('a b c') is not two tokens" },
        { "bpe", "token outside the byte mapping", "vocab[40] ('一') is not a byte sequence" },
        { "bpe", "token made by no merge", "('Ġhugx') is made by no merge" },
        { "bpe", "special name differs", "vocab[0] is '<pad>', not the special token '<nothing>'" },
        { "bpe", "special id outside", "special token '<x>' has id 9999, outside the vocab" },
        { "char", "duplicate token", "appears twice" },
        { "char", "no unk", "needs an <unk> token" },
        { "char", "two characters", "is not a single character" },
        { "word", "merges on word", "a word tokenizer has no \"merges\"" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFilesGiveErrorsNamingTheFileAndTheProblem(string type, string damage, string expected)
    {
        string path = Path.Combine(_directory, "tokenizer.json");
        Trained(type).Save(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var vocab = json["vocab"]!.AsArray();
        switch (damage)
        {
            case "not JSON": File.WriteAllText(path, "{ \"format\": "); break;
            case "format": json["format"] = "huggingface"; break;
            case "version": json["version"] = 2; break;
            case "unknown type": json["type"] = "sentencepiece"; break;
            case "vocab entry not a string": vocab[5] = 17; break;
            case "no merges": json.Remove("merges"); break;
            case "merge of an unknown token": json["merges"]!.AsArray()[0] = "zz y"; break;
            case "merge not two tokens": json["merges"]!.AsArray()[0] = "a b c"; break;
            case "token outside the byte mapping": vocab[40] = "一"; break;
            case "token made by no merge": vocab.Add("Ġhugx"); break;
            case "special name differs": json["special_tokens"]![0]!["text"] = "<nothing>"; break;
            case "special id outside": json["special_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 9999, ["text"] = "<x>" }); break;
            case "duplicate token": vocab[6] = (string?)vocab[5]; break;
            case "no unk": json["special_tokens"]!.AsArray().RemoveAt(3); vocab[3] = "☃"; break;
            case "two characters": vocab[6] = "ab"; break;
            case "merges on word": json["merges"] = new JsonArray(); break;
        }
        if (damage != "not JSON") File.WriteAllText(path, json.ToJsonString());

        var error = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => ITokenizer.Load(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = Path.Combine(_directory, "absent.json");
        var error = Assert.Throws<Sharpformer.IO.InvalidFileException>(() => ITokenizer.Load(path));
        Assert.Contains(path, error.Message);
    }
}
