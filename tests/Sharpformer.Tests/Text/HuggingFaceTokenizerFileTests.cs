using System.Text.Json.Nodes;
using Sharpformer.IO;
using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>
/// tokenizer.json in Hugging Face's schema: what is written, that Sharpformer reads it back to the same ids, and clear
/// errors for what it cannot express. (HuggingFaceClientTests checks the files with Hugging Face's own libraries.)
/// </summary>
public sealed class HuggingFaceTokenizerFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-hf-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string TokenizerPath => Path.Combine(_directory, "tokenizer.json");

    private static BpeTokenizer Trained() => (BpeTokenizer)TokenizerTrainer.Train("bpe", RoundTripTests.Corpus,
        new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 1, ExtraSpecialTokens = ["<sep>"] });

    [Fact]
    public void WritesGpt2sLayoutWithEveryIdAndTheSpecialTokens()
    {
        var bpe = Trained();
        var written = HuggingFaceTokenizerFile.Write(bpe, _directory, modelMaxLength: 256);

        Assert.Equal([TokenizerPath, Path.Combine(_directory, "tokenizer_config.json")], written);
        Assert.Equal(written.Order(), Directory.GetFiles(_directory).Order()); // no temporary file left behind
        var json = JsonNode.Parse(File.ReadAllText(TokenizerPath))!;
        var vocab = json["model"]!["vocab"]!.AsObject();
        Assert.Equal("BPE", (string?)json["model"]!["type"]);
        Assert.Equal(bpe.VocabSize, vocab.Count);
        Assert.Equal(bpe.Encode(" ").Single(), (int)vocab["Ġ"]!);
        Assert.Equal(bpe.Merges.Count, json["model"]!["merges"]!.AsArray().Count);
        Assert.Equal(["ByteLevel", "ByteLevel", "ByteLevel"], new[] { "pre_tokenizer", "post_processor", "decoder" }
            .Select(part => (string?)json[part]!["type"]));
        Assert.False((bool)json["pre_tokenizer"]!["add_prefix_space"]!);
        var added = json["added_tokens"]!.AsArray();
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "<sep>"], added.Select(token => (string?)token!["content"]));
        Assert.Equal([0, 1, 2, 3, 4], added.Select(token => (int)token!["id"]!));
        Assert.All(added, token => Assert.True((bool)token!["special"]!));

        var config = JsonNode.Parse(File.ReadAllText(written[1]))!;
        Assert.Equal("PreTrainedTokenizerFast", (string?)config["tokenizer_class"]);
        Assert.Equal(["<bos>", "<eos>", "<pad>", "<unk>"],
            new[] { "bos_token", "eos_token", "pad_token", "unk_token" }.Select(role => (string?)config[role]));
        Assert.Equal(256, (int)config["model_max_length"]!);
        Assert.False((bool)config["clean_up_tokenization_spaces"]!);
        Assert.Equal("<sep>", (string?)config["added_tokens_decoder"]!["4"]!["content"]);
    }

    [Fact]
    public void SharpformerReadsItBackToTheSameIds()
    {
        foreach (BpeTokenizer original in new[] { Trained(), Gpt2CompatibilityTests.Gpt2 })
        {
            HuggingFaceTokenizerFile.Write(original, _directory);
            var loaded = ITokenizer.Load(TokenizerPath);

            Assert.IsType<BpeTokenizer>(loaded);
            Assert.Equal(original.VocabSize, loaded.VocabSize);
            Assert.Equal(original.SpecialTokens.All, loaded.SpecialTokens.All);
            Assert.Equal(original.Merges, ((BpeTokenizer)loaded).Merges);
            foreach (string text in RoundTripTests.Corpus.Append(Gpt2CompatibilityTests.Paragraphs))
                Assert.Equal(original.Encode(text), loaded.Encode(text));
            int[] all = [.. Enumerable.Range(0, original.VocabSize)];
            Assert.Equal(original.Decode(all), loaded.Decode(all));
        }
    }

    [Fact]
    public void MergesWrittenAsPairsReadTheSame()
    {
        var bpe = Trained();
        HuggingFaceTokenizerFile.Write(bpe, _directory);
        var json = JsonNode.Parse(File.ReadAllText(TokenizerPath))!;
        var merges = json["model"]!["merges"]!.AsArray();
        for (int i = 0; i < merges.Count; i++)
            merges[i] = new JsonArray([.. ((string)merges[i]!).Split(' ').Select(part => JsonValue.Create(part))]);
        File.WriteAllText(TokenizerPath, json.ToJsonString());

        var loaded = (BpeTokenizer)ITokenizer.Load(TokenizerPath);

        Assert.Equal(bpe.Merges, loaded.Merges);
        Assert.Equal(bpe.Encode(Gpt2CompatibilityTests.Paragraphs), loaded.Encode(Gpt2CompatibilityTests.Paragraphs));
    }

    [Theory]
    [InlineData("char")]
    [InlineData("word")]
    public void OnlyBpeHasAnEquivalent(string type)
    {
        var tokenizer = TokenizerTrainer.Train(type, RoundTripTests.Corpus,
            new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 1 });
        var error = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizerFile.Write(tokenizer, _directory));
        Assert.Contains($"this one is \"{type}\"", error.Message);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void AnOrdinaryTokenSpeltLikeASpecialOneIsRefused()
    {
        // "a" is also the token of the byte 'a'; the format keys tokens by their text.
        var bpe = (BpeTokenizer)TokenizerTrainer.Train("bpe", RoundTripTests.Corpus,
            new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 1, ExtraSpecialTokens = ["a"] });
        var error = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizerFile.Write(bpe, _directory));
        Assert.Contains("are both written 'a'", error.Message);
    }

    public static TheoryData<string, string> Unsupported => new()
    {
        { "normalizer", "\"normalizer\" is set; text normalisation is not supported" },
        { "Metaspace pre-tokenizer", "\"pre_tokenizer.type\" is 'Metaspace'; only GPT-2's \"ByteLevel\"" },
        { "prefix space", "\"pre_tokenizer.add_prefix_space\" is true" },
        { "no regex", "\"pre_tokenizer.use_regex\" is false" },
        { "WordPiece model", "\"model.type\" is 'WordPiece'; only \"BPE\"" },
        { "dropout", "\"dropout\" is set; BPE dropout is not supported" },
        { "ignore merges", "\"model.ignore_merges\" is true" },
        { "byte fallback", "\"model.byte_fallback\" is not supported" },
        { "subword prefix", "\"model.continuing_subword_prefix\" is not empty" },
        { "ordinary added token", "added token 'hello' is not special" },
        { "gap in the ids", "no token has id 7" },
        { "two tokens for one id", "model.vocab gives id 5 to both" },
        { "special on an ordinary id", "special token '<sep>' has id 9, which model.vocab gives to" },
        { "merge of three", "model.merges[0] is not two tokens" },
        { "merge of an unknown token", "merges[0] names 'zz', which is not in the vocab" },
        { "token outside the byte mapping", "is not a byte sequence in GPT-2's byte-to-character mapping" },
        { "negative id", "must be a whole number from 0" },
        { "largest id", "has id 2147483647, outside 0 to 1,048,575" },   // once an IndexOutOfRangeException (the fuzz suite)
        { "largest special id", "'<sep>' has id 2147483647, outside 0 to 1,048,575" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void WhatItCannotExpressIsRefusedByName(string damage, string expected)
    {
        HuggingFaceTokenizerFile.Write(Trained(), _directory);
        var json = JsonNode.Parse(File.ReadAllText(TokenizerPath))!.AsObject();
        var model = json["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        string TokenOf(int id) => vocab.First(entry => (int)entry.Value! == id).Key;
        switch (damage)
        {
            case "normalizer": json["normalizer"] = new JsonObject { ["type"] = "NFC" }; break;
            case "Metaspace pre-tokenizer": json["pre_tokenizer"]!["type"] = "Metaspace"; break;
            case "prefix space": json["pre_tokenizer"]!["add_prefix_space"] = true; break;
            case "no regex": json["pre_tokenizer"]!["use_regex"] = false; break;
            case "WordPiece model": model["type"] = "WordPiece"; break;
            case "dropout": model["dropout"] = 0.1; break;
            case "ignore merges": model["ignore_merges"] = true; break;
            case "byte fallback": model["byte_fallback"] = true; break;
            case "subword prefix": model["continuing_subword_prefix"] = "##"; break;
            case "ordinary added token":
                json["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 300, ["content"] = "hello", ["special"] = false });
                break;
            case "gap in the ids": vocab.Remove(TokenOf(7)); break;
            case "two tokens for one id": vocab[TokenOf(6)] = 5; break;
            case "special on an ordinary id": json["added_tokens"]![4]!["id"] = 9; break;
            case "merge of three": model["merges"]![0] = "a b c"; break;
            case "merge of an unknown token": model["merges"]![0] = "zz y"; break;
            case "token outside the byte mapping": vocab["一"] = 300; break;
            case "negative id": vocab[TokenOf(8)] = -8; break;
            case "largest id": vocab[TokenOf(8)] = int.MaxValue; break;
            case "largest special id": json["added_tokens"]![4]!["id"] = int.MaxValue; break;
        }
        File.WriteAllText(TokenizerPath, json.ToJsonString());

        var error = Assert.Throws<InvalidFileException>(() => ITokenizer.Load(TokenizerPath));
        Assert.StartsWith(TokenizerPath + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
