using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Sharpformer.Data;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Tests.Hardening;
using Sharpformer.Text;
using Sharpformer.Training;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Fuzz;

/// <summary>
/// The fuzz suite: for every file format Sharpformer reads, a few thousand mutated inputs with a fixed
/// seed. Each must load or be rejected with <see cref="InvalidFileException"/> (one line naming the
/// file) — no other exception, no input slower than a second. Accepted inputs are then used (a
/// tokenizer encodes and decodes, a model runs a forward pass), so a file that loads is a file that works.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Inputs = 2000;
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Report(FuzzReport report)
    {
        output.WriteLine(report.ToString());
        Assert.True(report.Rejected > Inputs / 10, $"{report}: too few rejections, the mutations are too gentle");
    }

    private static readonly string Sample = "The quick brown fox — ¿qué tal? 🦊 <pad> jumps\tover\n";

    [Fact]
    public void ConfigJson()
    {
        string path = Path.Combine(_root, "config.json");
        TransformerConfigFile.Write(path, HostileModelDirectory.Config);
        byte[] seed = File.ReadAllBytes(path);
        Report(FuzzRunner.Run("config", Inputs, 1, rng => Mutator.Mutate(rng, seed, json: true),
            input => TransformerConfigFile.Parse(input, path), path));
    }

    [Fact]
    public void TokenizerJson()
    {
        string path = Path.Combine(_root, "tokenizer.json");
        TrainingData.ToyTokenizer().Save(path);
        byte[] chars = File.ReadAllBytes(path);
        BpeTrainer.Train(["hug hug hug pug pun bun hugs", "¿qué tal? el niño", "the the then there"],
            new TokenizerTrainingOptions { VocabSize = 300 }).Save(path);
        byte[] bpe = File.ReadAllBytes(path);
        byte[][] seeds = [chars, bpe, HuggingFaceSeed(bpe)];
        Report(FuzzRunner.Run("tokenizer", Inputs, 2, rng => Mutator.Mutate(rng, seeds[rng.NextInt(seeds.Length)], json: true), input =>
        {
            var tokenizer = TokenizerFile.Parse(input, path);
            var ids = tokenizer.Encode(Sample);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            tokenizer.Decode(ids);
        }, path));
    }

    /// <summary>
    /// Mutants of a Hugging Face tokenizer.json through the real command: each encodes, or ends with one line naming the
    /// file and exit code 1 — never a stack trace.
    /// </summary>
    [Fact]
    public void HuggingFaceTokenizerJsonThroughTheCommandLine()
    {
        string path = Path.Combine(_root, "tokenizer.json");
        BpeTrainer.Train(["hug hug hug pug pun bun hugs", "¿qué tal? el niño", "the the then there"],
            new TokenizerTrainingOptions { VocabSize = 300 }).Save(path);
        byte[] seed = HuggingFaceSeed(File.ReadAllBytes(path));
        int encoded = 0, refused = 0;
        for (int i = 0; i < 40; i++)
        {
            File.WriteAllBytes(path, Mutator.Mutate(new Rng(9_000 + (ulong)i), seed, json: true));
            var (code, stdout, stderr) = Cli.CliRunner.Run(TimeSpan.FromMinutes(1), "tokenizer", "encode", "--tokenizer", path, Sample);
            if (code == 0)
            {
                Assert.Matches(@"^\d+( \d+)*\n$", stdout);
                encoded++;
                continue;
            }
            Assert.True(code == 1, $"mutant {i}: exit code {code}: {stderr}");
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].StartsWith($"sharpformer: {path}: ", StringComparison.Ordinal),
                $"mutant {i}: {stderr}");
            refused++;
        }
        output.WriteLine($"40 mutants of a Hugging Face tokenizer.json through `tokenizer encode`: {encoded} encoded, {refused} refused");
        Assert.True(refused >= 10, "the mutations are too gentle");
    }

    // The same byte-level BPE in Hugging Face's schema (tokenizers' tokenizer.json), as `sharpformer export` writes it.
    private byte[] HuggingFaceSeed(byte[] sharpformerJson)
    {
        string directory = Path.Combine(_root, "hf");
        HuggingFaceTokenizerFile.Write(TokenizerFile.Parse(sharpformerJson, "bpe.json"), directory);
        byte[] json = File.ReadAllBytes(Path.Combine(directory, "tokenizer.json"));
        Assert.True(HuggingFaceTokenizerFile.Recognises(System.Text.Json.JsonDocument.Parse(json).RootElement));
        return json;
    }

    [Fact]
    public void ModelDirectory() => FuzzModelDirectory(HostileModelDirectory.Write(Path.Combine(_root, "source")), "model-directory", 3);

    [Fact]
    public void Int8ModelDirectory()
    {
        // The same model quantized: I8 matrices and their F32 scales, "weights": "int8" in config.json.
        string source = HostileModelDirectory.Write(Path.Combine(_root, "float"));
        var model = Sharpformer.Models.ModelDirectory.Load(source);
        model.QuantizeWeights();
        string int8 = Path.Combine(_root, "int8");
        Sharpformer.Models.ModelDirectory.Save(model, int8);
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(int8, "tokenizer.json"));
        FuzzModelDirectory(int8, "int8-model-directory", 8);
    }

    private void FuzzModelDirectory(string source, string name, ulong seed)
    {
        string[] files = ["config.json", "model.safetensors", "tokenizer.json"];
        var originals = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(source, f)));
        string directory = Path.Combine(_root, "model");
        Directory.CreateDirectory(directory);
        string damaged = "";
        Report(FuzzRunner.Run(name, Inputs, seed, rng =>
        {
            damaged = files[rng.NextInt(files.Length)];
            foreach (var (file, bytes) in originals) File.WriteAllBytes(Path.Combine(directory, file), bytes);
            return damaged == "model.safetensors"
                ? MutateSafeTensors(rng, originals[damaged])
                : Mutator.Mutate(rng, originals[damaged], json: true);
        }, input =>
        {
            File.WriteAllBytes(Path.Combine(directory, damaged), input);
            var model = (Sharpformer.NN.Transformer)Sharpformer.Models.ModelDirectory.Load(directory);
            var tokenizer = ITokenizer.Load(Path.Combine(directory, "tokenizer.json"));
            if (tokenizer.VocabSize != model.Config.TargetVocab) return;   // the CLI reports this pairing as an InvalidFileException
            model.Eval();
            int length = Math.Min(4, model.Config.MaxLength);
            var ids = Tensor.FromArray([.. Enumerable.Range(0, length).Select(i => (float)(i % model.Config.SourceVocab))], 1, length);
            var logits = model.Forward(ids, ids);
            Assert.Equal([1, length, model.Config.TargetVocab], logits.ShapeArray());
        }, directory));
    }

    [Fact]
    public void TrainerState()
    {
        string source = Path.Combine(_root, "source");
        NewTrainer(source, out _).Run();
        byte[] seed = File.ReadAllBytes(Path.Combine(source, Trainer.StateFile));
        string directory = Path.Combine(_root, "resume");
        var trainer = NewTrainer(directory, out _);
        string path = Path.Combine(directory, Trainer.StateFile);
        Report(FuzzRunner.Run("trainer-state", Inputs, 4, rng => rng.NextInt(3) switch
        {
            0 => MutateCheckpointJson(rng, seed),
            _ => MutateSafeTensors(rng, seed),
        }, input =>
        {
            File.WriteAllBytes(path, input);
            TrainerCheckpoint.TryRead(directory);
            trainer.Resume();
        }, path));
    }

    [Fact]
    public void MetricsJsonl()
    {
        var lines = Enumerable.Range(1, 10).Select(step =>
            $"{{\"step\":{step},\"epoch\":0,\"loss\":{3.0 / step:R},\"lr\":0.001,\"grad_norm\":1.5,\"tokens_per_s\":1234.5" +
                $"{(step % 5 == 0 ? ",\"val_loss\":2.5,\"val_accuracy\":0.5" : "")}}}").ToList();
        byte[] seed = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        string path = Path.Combine(_root, MetricsLog.FileName);
        // The same inputs through both readers, one after the other: each outcome is judged on its own.
        Report(FuzzRunner.Run("metrics-viz", Inputs, 5, rng => MutateLines(rng, seed, json: true), input =>
        {
            File.WriteAllBytes(path, input);
            MetricsLog.Read(path);
        }, path));
        Report(FuzzRunner.Run("metrics-resume", Inputs, 5, rng => MutateLines(rng, seed, json: true), input =>
        {
            File.WriteAllBytes(path, input);
            new MetricsLog(path).TruncateAfter(5);
        }, path));
    }

    [Fact]
    public void Tsv()
    {
        var lines = Enumerable.Range(0, 20)
            .Select(i => $"sentence {i}, with “quotes” and ü\tfrase {i}, con «comillas» y ñ").ToList();
        byte[] seed = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        string path = Path.Combine(_root, "pairs.tsv");
        Report(FuzzRunner.Run("tsv", Inputs, 6, rng => MutateLines(rng, seed, json: false), input =>
        {
            File.WriteAllBytes(path, input);
            TsvReader.Read(path, skipBadLines: true);
            TsvReader.Read(path);
        }, path));
    }

    [Fact]
    public void Text()
    {
        byte[] seed = Encoding.UTF8.GetBytes(
            string.Concat(Enumerable.Repeat("It is a truth universally acknowledged… ¿Sí? 🦊\n", 20)));
        string path = Path.Combine(_root, "novel.txt");
        Report(FuzzRunner.Run("text", Inputs, 7, rng => MutateLines(rng, seed, json: false), input =>
        {
            File.WriteAllBytes(path, input);
            TextFile.ReadAll(path);
        }, path));
    }

    // ---- format-aware mutations ------------------------------------------------------------------

    /// <summary>The header's JSON mutated (its size prefix kept consistent, or not), or any bytes of the file.</summary>
    private static byte[] MutateSafeTensors(Rng rng, byte[] file)
    {
        if (rng.NextInt(2) == 0) return Mutator.Mutate(rng, file, json: false);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        byte[] header = Mutator.MutateJson(rng, file[8..(8 + headerLength)]);
        return WithHeader(rng, file, headerLength, header);
    }

    /// <summary>The checkpoint's JSON inside trainer-state.safetensors's metadata mutated as JSON.</summary>
    private static byte[] MutateCheckpointJson(Rng rng, byte[] file)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(file.AsSpan(8, headerLength))!.AsObject();
        var metadata = header["__metadata__"]!.AsObject();
        byte[] checkpoint = Mutator.MutateJson(rng, Encoding.UTF8.GetBytes((string)metadata["trainer"]!));
        // A string that is not valid UTF-8 cannot be a JSON string value: keep what can be written.
        metadata["trainer"] = Encoding.UTF8.GetString(checkpoint);
        return WithHeader(rng, file, headerLength, Encoding.UTF8.GetBytes(header.ToJsonString()));
    }

    private static byte[] WithHeader(Rng rng, byte[] file, int oldLength, byte[] header)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(rng.NextInt(8) == 0 ? oldLength : header.Length));
        return [.. prefix, .. header, .. file[(8 + oldLength)..]];
    }

    /// <summary>One line mutated (as JSON, or as bytes), a line removed or repeated, or bytes anywhere.</summary>
    private static byte[] MutateLines(Rng rng, byte[] file, bool json)
    {
        if (rng.NextInt(3) == 0) return Mutator.Mutate(rng, file, json: false);
        var lines = Encoding.UTF8.GetString(file).Split('\n').Select(Encoding.UTF8.GetBytes).ToList();
        int at = rng.NextInt(lines.Count);
        switch (rng.NextInt(4))
        {
            case 0: lines.RemoveAt(at); break;
            case 1: lines.Insert(at, lines[at]); break;
            default: lines[at] = json ? Mutator.MutateJson(rng, lines[at]) : Mutator.MutateBytes(rng, lines[at]); break;
        }
        return [.. lines.SelectMany((line, i) => i == 0 ? line : [(byte)'\n', .. line])];
    }

    /// <summary>A trainer of <see cref="HostileModelDirectory.Config"/>'s model on the copy task, checkpointing every step.</summary>
    internal static Trainer NewTrainer(string directory, out SequenceModel model)
    {
        var rng = new Rng(3);
        var task = new ToyTask(ToyTaskKind.Copy, vocab: 20, minLength: 4, maxLength: 8);
        model = SequenceModel.Create(HostileModelDirectory.Config, rng);
        return new Trainer(model, rng, new ToyTaskBatches(task, 8, 4), [],
            new TrainingOptions { Steps = 2, SaveEvery = 1, EvalEvery = 0 }, directory);
    }
}
