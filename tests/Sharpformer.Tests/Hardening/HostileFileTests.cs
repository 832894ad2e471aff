using System.Text;
using Sharpformer.Data;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.Cli;
using Sharpformer.Text;

namespace Sharpformer.Tests.Hardening;

/// <summary>
/// Findings 1–5 and 7 of the hardening issue: bad model directories are one line naming the file, found
/// before the model is built, through <see cref="InvalidFileException"/> in the library and
/// <c>sharpformer: FILE: problem</c> (exit 1) on the command line.
/// </summary>
public sealed class HostileFileTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-hostile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Model(string name) => HostileModelDirectory.Write(Path.Combine(_root, name));

    /// <summary>Runs a command and checks it failed with exactly one line naming <paramref name="file"/>; returns that line.</summary>
    private static string OneLineError(string file, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, args);
        Assert.True(code == 1, $"exit code {code}, stderr: {stderr}");
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "more than one line on standard error:\n" + stderr);
        Assert.StartsWith($"sharpformer: {file}: ", lines[0]);
        return lines[0];
    }

    private static InvalidFileException LoadFails(string directory, string file)
    {
        var e = Assert.Throws<InvalidFileException>(() => ModelDirectory.Load(directory));
        Assert.Equal(Path.Combine(directory, file), e.FilePath);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    // ---- 1. tokenizer.json with a lone surrogate or an invalid UTF-8 byte --------------------------

    public static TheoryData<string, string> BrokenTokenizerText => new()
    {
        { "lone surrogate in a token", "\"<pad>\", \"<bos>\", \"<eos>\", \"<unk>\", \"\\ud800\"" },
        { "lone surrogate in a special token's text", "\"text\": \"\\udc00\"" },
        { "invalid UTF-8 byte", "\"a\xff\"" },
    };

    [Theory]
    [MemberData(nameof(BrokenTokenizerText))]
    public void ATokenizerWithBrokenTextIsOneLineOnEveryCommand(string damage, string replacement)
    {
        string directory = Model(damage.Replace(' ', '-'));
        string path = Path.Combine(directory, "tokenizer.json");
        string text = File.ReadAllText(path);
        string damaged = damage switch
        {
            "lone surrogate in a token" =>
                text.Replace("\"<pad>\",\n    \"<bos>\",\n    \"<eos>\",\n    \"<unk>\",\n    \"a\"", replacement),
            "lone surrogate in a special token's text" => ReplaceFirst(text, "\"text\": \"<pad>\"", replacement),
            _ => ReplaceFirst(text, "\"a\"", "\"a\u00ff\""),
        };
        Assert.NotEqual(text, damaged);
        byte[] bytes = Encoding.UTF8.GetBytes(damaged);
        if (damage == "invalid UTF-8 byte") bytes = ReplaceBytes(bytes, [0xC3, 0xBF], [0xFF]);   // ÿ's two bytes → one invalid byte
        File.WriteAllBytes(path, bytes);

        Assert.Throws<InvalidFileException>(() => ITokenizer.Load(path));
        File.WriteAllLines(Path.Combine(_root, "pairs.tsv"), ["abc\tcba"]);
        OneLineError(path, "info", "--model", directory);
        OneLineError(path, "translate", "--model", directory, "abc");
        OneLineError(path, "eval", "--model", directory, "--data", Path.Combine(_root, "pairs.tsv"));
    }

    // ---- 2. max_length that overflows the positional table ----------------------------------------

    [Theory]
    [InlineData(2147483647)]
    [InlineData(33554432)]
    [InlineData(67108864)]
    public void AnOverflowingMaxLengthIsAnErrorNamingConfigJson(int maxLength)
    {
        string directory = Model($"max-{maxLength}");
        HostileModelDirectory.SetConfigField(directory, "max_length",
            maxLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("max_length", LoadFails(directory, "config.json").Problem);
        Assert.Contains("max_length", OneLineError(Path.Combine(directory, "config.json"), "info", "--model", directory));
    }

    [Fact]
    public void ALongMaxLengthCostsNothingUntilUsed()
    {
        string directory = Model("max-long");
        HostileModelDirectory.SetConfigField(directory, "max_length", "16777216");   // 2^24 positions × 16 = 1 GB if built eagerly
        long before = GC.GetAllocatedBytesForCurrentThread();
        var model = (Sharpformer.NN.Transformer)ModelDirectory.Load(directory);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "loading allocated the whole positional table");
        model.Eval();
        var logits = model.Forward(Sharpformer.Tensors.Tensor.FromArray([1f, 5, 6, 2], 1, 4),
            Sharpformer.Tensors.Tensor.FromArray([1f, 5], 1, 2));
        Assert.Equal([1, 2, 20], logits.ShapeArray());
    }

    // ---- 3. and 5. sizes without bounds; huge sizes checked before anything is built ---------------

    [Theory]
    [InlineData("decoder_layers", "65536")]
    [InlineData("encoder_layers", "4096")]
    [InlineData("d_model", "33554432")]
    [InlineData("dim_feed_forward", "1000000")]
    [InlineData("source_vocab", "2000000")]
    public void AnUnboundedSizeIsRejectedBeforeAnythingIsBuilt(string field, string value)
    {
        string directory = Model($"size-{field}");
        HostileModelDirectory.SetConfigField(directory, field, value);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = LoadFails(directory, "config.json");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "a rejected directory allocated more than 1 MB");
        Assert.Contains(field, e.Problem);
    }

    [Theory]
    [InlineData("decoder_layers=1024 d_model=256")]     // within the limits, but not what the weights hold
    [InlineData("d_model=4096")]
    [InlineData("dim_feed_forward=262144")]
    public void SizesWithinLimitsThatDoNotFitTheWeightsFailOnTheHeaderAlone(string edits)
    {
        string directory = Model($"fit-{edits.Replace(' ', '-').Replace('=', '-')}");
        foreach (var edit in edits.Split(' ')) HostileModelDirectory.SetConfigField(directory, edit.Split('=')[0], edit.Split('=')[1]);
        long modelBytes = 4 * Sharpformer.NN.ParameterLayout.ParameterCount(ModelDirectory.ReadConfig(directory));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = LoadFails(directory, "model.safetensors");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The header check costs about 7 KB per layer (the names it expects); building would cost the model.
        Assert.True(allocated < Math.Min(8 << 20, modelBytes / 4),
            $"{allocated:N0} bytes allocated for a {modelBytes:N0}-byte model: it was built before the header was checked");
        Assert.Contains("do not fit", e.Problem);
        OneLineError(Path.Combine(directory, "model.safetensors"), "info", "--model", directory);
    }

    [Fact]
    public void ATensorTooLargeForOneArrayIsNamed()
    {
        string directory = Model("too-large");
        HostileModelDirectory.SetConfigField(directory, "d_model", "65536");
        HostileModelDirectory.SetConfigField(directory, "heads", "1");
        HostileModelDirectory.SetConfigField(directory, "source_vocab", "1048576");
        HostileModelDirectory.SetConfigField(directory, "target_vocab", "1048576");
        var e = LoadFails(directory, "config.json");   // finding 5: never a ShapeMismatchException
        Assert.Contains("more than one array can", e.Problem);
    }

    // ---- 4. enum fields take names only --------------------------------------------------------------

    [Theory]
    [InlineData("activation", "7", "\"relu\", \"gelu\"")]
    [InlineData("norm", "9", "\"post\", \"pre\"")]
    [InlineData("architecture", "5", "\"encoder-decoder\", \"decoder-only\"")]
    [InlineData("activation", "\"Gelu\"", "\"relu\", \"gelu\"")]
    [InlineData("norm", "\"post, pre\"", "\"post\", \"pre\"")]
    public void EnumFieldsTakeTheirNamesOnly(string field, string value, string accepted)
    {
        string directory = Model($"enum-{field}-{value.Length}");
        HostileModelDirectory.SetConfigField(directory, field, value);
        var e = LoadFails(directory, "config.json");
        Assert.Contains($"\"{field}\"", e.Problem);
        Assert.Contains(accepted, e.Problem);
    }

    // ---- 7. JSON errors name the place, never quote the file ----------------------------------------

    [Fact]
    public void ASyntaxErrorIsOneLineWithItsPlace()
    {
        string directory = Model("syntax");
        string path = Path.Combine(directory, "config.json");
        File.WriteAllText(path, "{\n  \"d_model\": 16,\n  \"share_embeddings\": falsu\n,\n \"x\": \"secret\"\n}\n");
        var e = LoadFails(directory, "config.json");
        Assert.StartsWith("not valid JSON at line 3, byte ", e.Problem);
        Assert.DoesNotContain("secret", OneLineError(path, "info", "--model", directory));
    }

    [Fact]
    public void TextQuotedFromAFileIsEscapedAndShort()
    {
        string directory = Model("quoted");
        HostileModelDirectory.SetConfigField(directory, "activation", "\"re\\nlu\\u202e" + new string('x', 500) + "\"");
        var e = LoadFails(directory, "config.json");
        Assert.Contains("re\\u000Alu\\u202E", e.Problem);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void AnUnknownFieldIsAnError()
    {
        string directory = Model("unknown");
        HostileModelDirectory.SetConfigField(directory, "dmodel", "512");
        Assert.Contains("unknown field \"dmodel\"", LoadFails(directory, "config.json").Problem);
    }

    // ---- found by review: what validation alone did not cover ----------------------------------------

    [Fact]
    public async Task APipeInPlaceOfAFileIsAnErrorNotAHang()
    {
        if (!OperatingSystem.IsLinux()) return;   // the check uses statx; elsewhere opening a FIFO still blocks
        string directory = Model("fifo");
        string config = Path.Combine(directory, "config.json");
        File.Delete(config);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", config)) mkfifo.WaitForExit();
        var load = Task.Run(() => ModelDirectory.Load(directory));
        Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20))));   // not a hang
        var e = await Assert.ThrowsAsync<InvalidFileException>(() => load);
        Assert.Contains("not a regular file", e.Problem);
    }

    [Fact]
    public void AHugeMaxLengthIsBoundedByTheWidthAndDrawsQuickly()
    {
        string directory = Model("positions");
        HostileModelDirectory.SetConfigField(directory, "max_length", "16777216");
        HostileModelDirectory.SetConfigField(directory, "d_model", "256");   // 2^24 × 256 values cannot be one table
        HostileModelDirectory.SetConfigField(directory, "heads", "2");
        Assert.Contains("positional table", LoadFails(directory, "config.json").Problem);

        string small = Model("positions-small");
        HostileModelDirectory.SetConfigField(small, "max_length", "16777216");   // 2^24 × 16: allowed, drawn 1,024 rows deep
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "viz", "positional", "--model", small, "--out", Path.Combine(_root, "pe.png"));
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(stdout.Trim()));
    }

    [Fact]
    public void ATokenizerWhoseSpecialTokensAreNotTheModelsIdsIsNamed()
    {
        string directory = Model("specials");
        string path = Path.Combine(directory, "tokenizer.json");
        // <pad> and <bos> swap ids: a valid tokenizer, but not the model's (config.json: pad 0, bos 1), so decoding would
        // start at <pad>.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["special_tokens"]![0]!["id"] = 1;
        json["special_tokens"]![1]!["id"] = 0;
        json["vocab"]![0] = "<bos>";
        json["vocab"]![1] = "<pad>";
        File.WriteAllText(path, json.ToJsonString());
        ITokenizer.Load(path);
        Assert.Contains("the model pads with id 0, starts at 1 and ends at 2 (config.json), but the tokenizer's <pad>, <bos> and <eos> " +
            "are 1, 0 and 2", OneLineError(path, "translate", "--model", directory, "abc"));
    }

    [Theory]
    [InlineData("target", 4, "20 tokens, but the model's vocabulary is 24")]   // would decode ids the tokenizer does not have
    [InlineData("source", -4, "20 tokens, but the model's source vocabulary is 16")]   // would look up rows past the table
    [InlineData("source", 4, "20 tokens, but the model's source vocabulary is 24")]
    public void ATokenizerOfAnotherVocabularyIsNamed(string side, int extra, string expected)
    {
        int vocab = HostileModelDirectory.Config.TargetVocab;
        Assert.Equal(20, vocab);   // the sizes the messages name
        var config = HostileModelDirectory.Config with
        {
            ShareEmbeddings = false,
            SourceVocab = vocab + (side == "source" ? extra : 0),
            TargetVocab = vocab + (side == "target" ? extra : 0),
        };
        string directory = Path.Combine(_root, $"vocab-{side}{extra}");
        ModelDirectory.Save(SequenceModel.Create(config, new Rng(11)), TrainingData.ToyTokenizer(), directory);
        string path = Path.Combine(directory, "tokenizer.json");
        Assert.Contains(expected, Assert.Throws<InvalidFileException>(() => ModelDirectory.Open(directory)).Message);
        Assert.Contains(expected, OneLineError(path, "translate", "--model", directory, "abc"));
    }

    [Fact]
    public void AnArrayLongerThanAnyVocabularyIsRejectedBeforeItIsCopied()
    {
        string path = Path.Combine(_root, "long.json");
        var text = new StringBuilder(
            "{\"format\":\"sharpformer-tokenizer\",\"version\":1,\"type\":\"char\",\"special_tokens\":[],\"vocab\":[");
        text.Append(string.Join(",", Enumerable.Repeat("\"a\"", (1 << 20) + 1))).Append("]}");
        File.WriteAllText(path, text.ToString());
        var e = Assert.Throws<InvalidFileException>(() => ITokenizer.Load(path));
        Assert.Contains("\"vocab\" has 1,048,577 elements, more than the 1,048,576 accepted", e.Problem);
    }

    // ---- a valid config too large for this machine ----------------------------------------------------

    [Fact]
    public void AModelTooLargeForMemoryIsRefusedBeforeItIsBuilt()
    {
        // Every size within its limit and every tensor within one array, but about 120 billion parameters (480 GB).
        var config = HostileModelDirectory.Config with { DModel = 2048, Heads = 8, DimFeedForward = 8192, EncoderLayers = 1024,
            DecoderLayers = 1024 };
        Assert.Null(config.Problem());
        var e = Assert.Throws<InsufficientMemoryException>(
            () => Sharpformer.NN.SequenceModel.Create(config, new Sharpformer.Tensors.Rng(1)));
        Assert.Contains("GiB, more than the", e.Message);

        string path = Path.Combine(_root, "huge.json");
        TransformerConfigFile.Write(path, config);
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "train", "--task", "copy", "--config", path,
            "--out", Path.Combine(_root, "huge"), "--steps", "1");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sharpformer: the model has ", stderr);
    }

    // ---- trainer state: values the header cannot vouch for -----------------------------------------

    [Theory]
    [InlineData(new float[0])]
    [InlineData(new[] { float.NaN })]
    [InlineData(new[] { -1f })]
    [InlineData(new[] { 1.5f })]
    [InlineData(new[] { 1f, 2f })]
    public void AnOptimizerStepCountThatIsNotACountIsRejected(float[] step)
    {
        string source = Path.Combine(_root, "source"), directory = Path.Combine(_root, "resume");
        Fuzz.FuzzTests.NewTrainer(source, out _).Run();
        var state = SafeTensors.Read(Path.Combine(source, Sharpformer.Training.Trainer.StateFile));
        var tensors = state.Tensors.Select(t => t.Key == "optim.0.0.step"
            ? new(t.Key, Sharpformer.Tensors.Tensor.FromArray(step, step.Length))
            : t);
        Directory.CreateDirectory(directory);
        SafeTensors.Write(Path.Combine(directory, Sharpformer.Training.Trainer.StateFile), tensors, state.Metadata);

        var e = Assert.Throws<InvalidFileException>(() => Fuzz.FuzzTests.NewTrainer(directory, out _).Resume());
        Assert.Contains("Optimizer state 0.0.step is not one whole, non-negative count", e.Problem);
    }

    private static string ReplaceFirst(string text, string old, string replacement)
    {
        int at = text.IndexOf(old, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{old}' not found");
        return text[..at] + replacement + text[(at + old.Length)..];
    }

    private static byte[] ReplaceBytes(byte[] bytes, byte[] old, byte[] replacement)
    {
        int at = bytes.AsSpan().IndexOf(old);
        Assert.True(at >= 0);
        return [.. bytes[..at], .. replacement, .. bytes[(at + old.Length)..]];
    }
}
