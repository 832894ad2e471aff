namespace Sharpformer.Tests.Cli;

/// <summary>End-to-end: the real `sharpformer tokenizer train | encode | decode | export`.</summary>
public sealed class TokenizerCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-tokenizer-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Train(string type, string inputName = "corpus.tsv")
    {
        string input = Path.Combine(_root, inputName), output = Path.Combine(_root, $"{type}.json");
        File.WriteAllLines(input,
            Text.RoundTripTests.Corpus.Select(line => line.Replace('\t', ' ').Replace('\n', ' ') + "\tSeñor, ¿qué tal? 😀"));
        var (code, _, stderr) = CliRunner.Run(Timeout, "tokenizer", "train", "--input", input, "--vocab-size", "300", "--out", output,
            "--type", type, "--min-frequency", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains($"trained a {type} tokenizer", stderr);
        return output;
    }

    private static string Ok((int ExitCode, string Stdout, string Stderr) result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    [Theory]
    [InlineData("bpe")]
    [InlineData("char")]
    [InlineData("word")]
    public void EncodeThenDecodeGivesTheTextBack(string type)
    {
        string tokenizer = Train(type);
        const string text = "Señor, ¿qué tal? 😀 is a truth";
        string ids = Ok(CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", tokenizer, text)).TrimEnd('\n');
        Assert.Matches(@"^\d+( \d+)*$", ids);
        Assert.Equal(text + "\n", Ok(CliRunner.Run(Timeout, ["tokenizer", "decode", "--tokenizer", tokenizer, .. ids.Split(' ')])));
    }

    [Fact]
    public void StandardInputIsEncodedAndDecodedLineByLine()
    {
        string tokenizer = Train("bpe", "corpus.txt");
        string[] lines = ["It is a truth universally acknowledged,", "", "  spaces\tand tabs  ", "日本語 🇪🇸 <pad>"];
        string ids = Ok(CliRunner.RunWithInput(Timeout, string.Join('\n', lines) + "\n", "tokenizer", "encode", "--tokenizer", tokenizer));
        string[] idLines = ids.Split('\n')[..^1];
        Assert.Equal(lines.Length, idLines.Length);
        Assert.Equal("", idLines[1]);
        string text = Ok(CliRunner.RunWithInput(Timeout, ids, "tokenizer", "decode", "--tokenizer", tokenizer));
        Assert.Equal(lines, text.Split('\n')[..^1]);
    }

    [Fact]
    public void BadInputIsAOneLineError()
    {
        string tokenizer = Train("bpe");
        string missing = Path.Combine(_root, "missing.json");
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["tokenizer", "decode", "--tokenizer", tokenizer, "5", "x", "6"], "'x' is not a token id"),
            (["tokenizer", "decode", "--tokenizer", tokenizer, "300"], "token id 300 is outside the vocabulary [0, 300)"),
            (["tokenizer", "decode", "--tokenizer", tokenizer, "-1"], "'-1' is not a token id"),
            (["tokenizer", "encode", "--tokenizer", missing, "hello"], missing),
            (["tokenizer", "train", "--input", Path.Combine(_root, "absent.txt"), "--vocab-size", "300", "--out", missing], "absent.txt"),
            (["tokenizer", "train", "--input", tokenizer, "--vocab-size", "100", "--out", missing], "vocabulary size 100 is too small"),
            (["tokenizer", "train", "--input", tokenizer, "--vocab-size", "300", "--out", missing, "--type", "sentencepiece"],
                "sentencepiece"),
            (["tokenizer", "encode", "hello"], "--tokenizer"),
            (["tokenizer", "export", "--tokenizer", Train("char"), "--out", missing], "this one is \"char\""),
            (["tokenizer", "export", "--tokenizer", tokenizer, "--out", missing, "--format", "onnx"], "'onnx' not recognized"),
        })
        {
            var (code, stdout, stderr) = CliRunner.Run(Timeout, args);
            Assert.NotEqual(0, code);
            Assert.Equal("", stdout);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("sharpformer: ", line);
            Assert.Contains(expected, line);
        }
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void ExportToHuggingFaceAndBackKeepsTheIds()
    {
        string tokenizer = Train("bpe"), huggingFace = Path.Combine(_root, "hf"), back = Path.Combine(_root, "back");
        const string text = "Señor, ¿qué tal? 😀 is a truth";
        string ids = Ok(CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", tokenizer, text));

        var (code, _, stderr) = CliRunner.Run(Timeout, "tokenizer", "export", "--format", "huggingface", "--tokenizer", tokenizer,
            "--out", huggingFace);
        Assert.True(code == 0, stderr);
        Assert.Contains("exported a bpe tokenizer of 300 tokens (huggingface)", stderr);
        Assert.Equal(["tokenizer.json", "tokenizer_config.json"], Directory.GetFiles(huggingFace).Select(Path.GetFileName).Order());
        string exported = Path.Combine(huggingFace, "tokenizer.json");
        Assert.Contains("\"model\"", File.ReadAllText(exported));
        Assert.Equal(ids, Ok(CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", exported, text)));

        Ok(CliRunner.Run(Timeout, "tokenizer", "export", "--format", "sharpformer", "--tokenizer", exported, "--out", back));
        string converted = Path.Combine(back, "tokenizer.json");
        Assert.Contains("\"format\": \"sharpformer-tokenizer\"", File.ReadAllText(converted));
        Assert.Equal(ids, Ok(CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", converted, text)));
    }

    [Fact]
    public void InvalidUtf8InATrainingFileIsAnError()
    {
        string input = Path.Combine(_root, "bad.txt");
        File.WriteAllBytes(input, [.. "good line\n"u8, 0xC3, 0x28, .. "\n"u8]);
        var (code, _, stderr) = CliRunner.Run(Timeout, "tokenizer", "train", "--input", input, "--vocab-size", "300",
            "--out", Path.Combine(_root, "t.json"));
        Assert.Equal(1, code);
        Assert.Contains("bad.txt:2: not valid UTF-8", stderr);
    }
}
