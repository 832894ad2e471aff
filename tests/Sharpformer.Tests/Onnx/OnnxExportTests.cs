using Microsoft.ML.OnnxRuntime;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Onnx;
using Sharpformer.Tensors;
using Sharpformer.Tests.Cli;
using Sharpformer.Text;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Onnx;

/// <summary>
/// The exported graphs run in the real ONNX Runtime (a test-only package) and give Sharpformer's numbers: the encoder's
/// memory and the decoder's last logits, on random models of every configuration, with padding.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-onnx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // Row 1 of the source is padded at the end, row 1 of the target too.
    private static readonly long[] Source = [5, 9, 3, 7, 2, 8, 4, 6, 11, 12, 0, 0, 0, 0], Target = [1, 4, 13, 6, 9, 1, 12, 7, 0, 0];

    public static TheoryData<string> Configs => ["post-norm ReLU", "pre-norm GELU", "separate embeddings", "tied output", "rotary"];

    private static TransformerConfig Config(string name)
    {
        var tiny = TransformerConfig.Tiny(30) with { DModel = 16, Heads = 4, DimFeedForward = 32, MaxLength = 20, Dropout = 0f };
        return name switch
        {
            "pre-norm GELU" => tiny with { Norm = NormPlacement.Pre, Activation = ActivationKind.Gelu },
            "separate embeddings" => tiny with { ShareEmbeddings = false },
            "tied output" => tiny with { TieOutput = true },
            "rotary" => tiny with { Positional = PositionalKind.Rope, RopeBase = 500f },
            _ => tiny,
        };
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void OnnxRuntimeComputesTheMemoryAndLastLogitsOfTheModel(string name)
    {
        var model = new Transformer(Config(name), new Rng(4));
        model.Eval();
        OnnxExport.Write(model, _directory);
        var source = Tensor.FromArray([.. Source.Select(v => (float)v)], 2, 7);
        var target = Tensor.FromArray([.. Target.Select(v => (float)v)], 2, 5);
        var memory = model.Encode(source);
        var logits = model.Decode(target, memory, source).Narrow(1, 4, 1).Contiguous().ToArray();   // [2, 1, V]: the last position

        var (ortMemory, ortLogits, logitsShape) = RunGraphs(_directory);

        double memoryError = RelativeError.Max(memory.ToArray(), ortMemory), logitError = RelativeError.Max(logits, ortLogits);
        output.WriteLine($"{name}: memory within {memoryError:E2} of its largest value, last logits within {logitError:E2}");
        Assert.Equal([2L, 30L], logitsShape);
        Assert.True(memoryError <= 1e-4, $"memory differs by {memoryError:E2}");
        Assert.True(logitError <= 1e-4, $"logits differ by {logitError:E2}");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void AnInt8ModelExportsItsInt8WeightsAndOnnxRuntimeComputesItsLogits(string name)
    {
        var float32 = new Transformer(Config(name), new Rng(4));
        var int8 = new Transformer(Config(name), new Rng(4));
        int8.QuantizeWeights();
        int8.Eval();
        // The float model of the dequantized weights, s ⊙ q: what the graphs compute, activations kept in float32.
        var parameters = float32.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        foreach (var (weight, blocks) in int8.NamedInt8Weights())
            parameters[weight].CopyFrom(Tensor.Concat([.. blocks.Select(block => block.Dequantize())], 0));
        float32.Eval();
        OnnxExport.Write(float32, Path.Combine(_directory, "fp32"));
        OnnxExport.Write(int8, _directory);

        var source = Tensor.FromArray([.. Source.Select(v => (float)v)], 2, 7);
        var target = Tensor.FromArray([.. Target.Select(v => (float)v)], 2, 5);
        float[] Last(Transformer model) => model.Decode(target, model.Encode(source), source).Narrow(1, 4, 1).Contiguous().ToArray();
        float[] OnnxRuntime(GraphOptimizationLevel level) => RunGraphs(_directory, level).Logits;

        // As written, the graphs compute the dequantized model exactly. With its default optimizations ONNX Runtime rewrites
        // DequantizeLinear → MatMul into an integer product that quantizes the activations on the fly, as Sharpformer's
        // AVX-VNNI path does: both then round the activations, each in its own way.
        double exact = RelativeError.Max(Last(float32), OnnxRuntime(GraphOptimizationLevel.ORT_DISABLE_ALL));
        double optimized = RelativeError.Max(Last(int8), OnnxRuntime(GraphOptimizationLevel.ORT_ENABLE_ALL));
        long Bytes(string directory) => new DirectoryInfo(directory).GetFiles("*.onnx").Sum(file => file.Length);
        double sizeRatio = Bytes(_directory) / (double)Bytes(Path.Combine(_directory, "fp32"));
        output.WriteLine($"{name}: unoptimized, logits within {exact:E2} of the dequantized model's; optimized, within {
            optimized:E2} of the int8 model's (Int8Gemm direct: {Sharpformer.Kernels.Int8Gemm.DirectSupported}); files {
                sizeRatio:P0} of float32's");
        Assert.True(exact <= 1e-4, $"logits differ from the dequantized model's by {exact:E2}");
        Assert.True(optimized <= 5e-2, $"optimized, logits differ from the int8 model's by {optimized:E2}");
        Assert.True(sizeRatio < 0.7, $"the int8 graphs are {sizeRatio:P0} of the float32 ones");
    }

    [Fact]
    public void AGreedyDecodeThroughOnnxRuntimeTranslatesAsTheCommandDoes()
    {
        // A model trained by the command, exported by the command, decoded token by token in ONNX Runtime.
        string model = Path.Combine(_directory, "model"), exported = Path.Combine(_directory, "onnx");
        var timeout = TimeSpan.FromMinutes(4);
        var train = CliRunner.Run(timeout, "train", "--task", "reverse", "--out", model, "--steps", "200", "--dropout", "0", "--seed", "2",
            "--eval-every", "0", "--save-every", "0");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var export = CliRunner.Run(timeout, "export", "onnx", "--model", model, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains("encoder.onnx", export.Stderr);

        var rng = new Rng(31);
        var inputs = Enumerable.Range(0, 24)
            .Select(_ => new string([.. Enumerable.Range(0, 3 + rng.NextInt(10)).Select(_ => (char)('a' + rng.NextInt(16)))])).ToList();
        var translate = CliRunner.RunWithInput(timeout, string.Join('\n', inputs) + "\n", ["translate", "--model", model]);
        Assert.True(translate.ExitCode == 0, translate.Stderr);
        var expected = translate.Stdout.Split('\n')[..^1];

        var decoded = OnnxGreedy(exported, inputs);
        output.WriteLine($"{decoded.Zip(expected).Count(p => p.First == p.Second)} of {inputs.Count} lines the same; e.g. " +
                         $"'{inputs[0]}' → '{decoded[0]}'");
        Assert.Equal(expected, decoded);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnnxRuntimeComputesTheLastLogitsOfADecoderOnlyModel(bool preNorm)
    {
        var config = TransformerConfig.TinyLanguageModel(30) with
        {
            DModel = 16, Heads = 4, DimFeedForward = 32, MaxLength = 20, Dropout = 0f,
            Norm = preNorm ? NormPlacement.Pre : NormPlacement.Post, Activation = preNorm ? ActivationKind.Gelu : ActivationKind.Relu,
            Positional = preNorm ? PositionalKind.Rope : PositionalKind.Sinusoidal,   // the pre-norm model rotates its positions
        };
        var model = new LanguageModel(config, new Rng(6));
        model.Eval();
        Assert.Equal([Path.Combine(_directory, OnnxExport.DecoderFile), Path.Combine(_directory, OnnxExport.DecoderWithPastFile)],
            OnnxExport.Write(model, _directory));
        long[] ids = [1, 7, 9, 4, 11, 3, 1, 8, 5, 2, 9, 0];                                       // row 1 padded at the end
        var logits = model.Forward(Tensor.FromArray([.. ids.Select(v => (float)v)], 2, 6)).Narrow(1, 5, 1).Contiguous().ToArray();

        using var session = new InferenceSession(Path.Combine(_directory, OnnxExport.DecoderFile));
        using var options = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(ids, [2, 6]);
        using var result = session.Run(options, ["input_ids"], [input], ["logits"]);
        double error = RelativeError.Max(logits, result[0].GetTensorDataAsSpan<float>().ToArray());
        output.WriteLine($"decoder-only, {(preNorm ? "pre-norm GELU rotary" : "post-norm ReLU")}: last logits within {error:E2}");
        Assert.True(error <= 1e-4, $"logits differ by {error:E2}");

        // With the cache: three tokens, then one a step, against the model on the whole prefix.
        using var cached = new InferenceSession(Path.Combine(_directory, OnnxExport.DecoderWithPastFile));
        long[] tokens = [1, 7, 9, 4, 11, 3, 1, 8, 5, 2, 9, 6];                                     // [2, 6], no padding
        string[] names = [.. Enumerable.Range(0, config.DecoderLayers).SelectMany(i => new[] { $"{i}.key", $"{i}.value" })];
        var past = names.Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [2, 4, 0, 4])).ToList();
        double worst = 0;
        for (int fed = 0, width = 3; fed < 6; fed += width, width = 1)
        {
            long[] step = [.. tokens.Skip(fed).Take(width), .. tokens.Skip(6 + fed).Take(width)];
            using var stepIds = OrtValue.CreateTensorValueFromMemory(step, [2, width]);
            using var results = cached.Run(options, ["input_ids", .. names.Select(n => "past_key_values." + n)], [stepIds, .. past],
                ["logits", .. names.Select(n => "present." + n)]);
            var prefix = Tensor.FromArray([.. tokens.Take(fed + width).Concat(tokens.Skip(6).Take(fed + width)).Select(v => (float)v)],
                2, fed + width);
            var expected = model.Forward(prefix).Narrow(1, fed + width - 1, 1).Contiguous().ToArray();
            worst = Math.Max(worst, RelativeError.Max(expected, results[0].GetTensorDataAsSpan<float>().ToArray()));
            foreach (var value in past) value.Dispose();
            past = [.. results.Skip(1).Select(Copy)];
        }
        foreach (var value in past) value.Dispose();
        output.WriteLine($"decoder-only with the cache: each step's logits within {worst:E2}");
        Assert.True(worst <= 1e-4, $"cached logits differ by {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void TheCachedDecoderGraphGivesTheLogitsOfTheWholePrefixStepByStep(string name)
    {
        var model = new Transformer(Config(name), new Rng(4));
        model.Eval();
        OnnxExport.Write(model, _directory);
        var source = Tensor.FromArray([.. Source.Select(v => (float)v)], 2, 7);
        var memory = model.Encode(source);
        // Bos and a two-token prefix at the first step, then one token a step.
        long[][] steps = [[1, 4, 13, 1, 12, 7], [6, 5], [9, 3], [2, 8], [11, 10]];
        int[] widths = [3, 1, 1, 1, 1];

        using var encoder = new InferenceSession(Path.Combine(_directory, OnnxExport.EncoderFile));
        using var decoder = new InferenceSession(Path.Combine(_directory, OnnxExport.DecoderWithPastFile));
        using var options = new RunOptions();
        using var sourceIds = OrtValue.CreateTensorValueFromMemory(Source, [2, 7]);
        using var encoded = encoder.Run(options, ["source_ids"], [sourceIds], ["memory"]);
        int layers = model.Config.DecoderLayers, heads = model.Config.Heads, headSize = model.Config.DModel / heads;
        string[] cacheNames = [.. Enumerable.Range(0, layers).SelectMany(i => new[] { $"{i}.key", $"{i}.value" })];
        var past = cacheNames.Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [2, heads, 0, headSize])).ToList();
        var prefix = new List<long>[] { [], [] };
        double worst = 0;
        try
        {
            for (int s = 0; s < steps.Length; s++)
            {
                for (int r = 0; r < 2; r++) prefix[r].AddRange(steps[s].Skip(r * widths[s]).Take(widths[s]));
                using var targetIds = OrtValue.CreateTensorValueFromMemory(steps[s], [2, widths[s]]);
                string[] inputs = ["memory", "source_ids", "target_ids", .. cacheNames.Select(n => "past_key_values." + n)];
                using var results = decoder.Run(options, inputs, [encoded[0], sourceIds, targetIds, .. past],
                    ["logits", .. cacheNames.Select(n => "present." + n)]);
                int length = prefix[0].Count;
                var target = Tensor.FromArray([.. prefix.SelectMany(row => row).Select(v => (float)v)], 2, length);
                var expected = model.Decode(target, memory, source).Narrow(1, length - 1, 1).Contiguous().ToArray();
                worst = Math.Max(worst, RelativeError.Max(expected, results[0].GetTensorDataAsSpan<float>().ToArray()));
                Assert.Equal([2L, heads, length, headSize], results[1].GetTensorTypeAndShape().Shape);
                foreach (var value in past) value.Dispose();
                past = [.. results.Skip(1).Select(present => Copy(present))];
            }
        }
        finally
        {
            foreach (var value in past) value.Dispose();
        }
        output.WriteLine($"{name}: with the cache, each step's logits within {worst:E2} of the whole prefix's");
        Assert.True(worst <= 1e-4, $"logits differ by {worst:E2}");
    }

    // encoder.onnx and decoder.onnx of a directory run in ONNX Runtime on Source and Target: the memory, the last logits and
    // their shape.
    private static (float[] Memory, float[] Logits, long[] LogitsShape) RunGraphs(string directory,
        GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = level };
        using var encoder = new InferenceSession(Path.Combine(directory, OnnxExport.EncoderFile), sessionOptions);
        using var decoder = new InferenceSession(Path.Combine(directory, OnnxExport.DecoderFile), sessionOptions);
        using var sourceIds = OrtValue.CreateTensorValueFromMemory(Source, [2, 7]);
        using var targetIds = OrtValue.CreateTensorValueFromMemory(Target, [2, 5]);
        using var options = new RunOptions();
        using var encoded = encoder.Run(options, ["source_ids"], [sourceIds], ["memory"]);
        using var decoded = decoder.Run(options, ["memory", "source_ids", "target_ids"], [encoded[0], sourceIds, targetIds], ["logits"]);
        return (encoded[0].GetTensorDataAsSpan<float>().ToArray(), decoded[0].GetTensorDataAsSpan<float>().ToArray(),
            decoded[0].GetTensorTypeAndShape().Shape);
    }

    // An output's values in a tensor of its own, to feed the next run once the results are disposed.
    private static OrtValue Copy(OrtValue value) =>
        OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<float>().ToArray(), value.GetTensorTypeAndShape().Shape);

    [Fact]
    public void WhatTheExportDoesNotCoverYetIsRefusedByName()
    {
        var adapted = new Transformer(Config("post-norm ReLU"), new Rng(1));
        adapted.AddLora(new Sharpformer.NN.LoraOptions(), new Rng(2));
        Assert.Contains("merge the model's LoRA adapters",
            Assert.Throws<NotSupportedException>(() => OnnxExport.Write(adapted, _directory)).Message);
        Assert.Empty(Directory.EnumerateFiles(_directory));

        var (code, _, stderr) = CliRunner.Run(TimeSpan.FromMinutes(1), "export", "onnx", "--model", Path.Combine(_directory, "missing"),
            "--out", Path.Combine(_directory, "out"));
        Assert.Equal(1, code);
        Assert.Contains("no such model directory", stderr);
        Assert.DoesNotContain("   at ", stderr);

        // Into the model itself, or into a training run, its config and tokenizer would replace theirs.
        string run = Directory.CreateDirectory(Path.Combine(_directory, "run")).FullName;
        File.WriteAllText(Path.Combine(run, "trainer-state.safetensors"), "");
        foreach (var (target, message) in new[] { (_directory, "another directory than the model"), (run, "holds a training run") })
        {
            (code, _, stderr) = CliRunner.Run(TimeSpan.FromMinutes(1), "export", "onnx", "--model", _directory, "--out", target);
            Assert.Equal(1, code);
            Assert.Contains(message, stderr);
        }
        Assert.Equal(["trainer-state.safetensors"], Directory.GetFiles(run).Select(Path.GetFileName));
    }

    // Greedy decoding as Sharpformer's: bos first, padding and bos never chosen, a row ends at eos, at most max_length − 2
    // tokens; here every step runs the whole prefix through decoder.onnx.
    private static string[] OnnxGreedy(string directory, IReadOnlyList<string> texts)
    {
        var tokenizer = ITokenizer.Load(Path.Combine(directory, "tokenizer.json"));
        var config = Sharpformer.Models.TransformerConfigFile.Read(Path.Combine(directory, "config.json"));
        var ids = texts.Select(t => tokenizer.Encode(t).Select(id => (long)id).ToArray()).ToArray();
        int rows = ids.Length, width = ids.Max(i => i.Length), vocab = config.TargetVocab;
        var source = new long[rows * width];
        Array.Fill(source, config.PadId);
        for (int r = 0; r < rows; r++) ids[r].CopyTo(source, r * width);
        using var encoder = new InferenceSession(Path.Combine(directory, OnnxExport.EncoderFile));
        using var decoder = new InferenceSession(Path.Combine(directory, OnnxExport.DecoderFile));
        using var options = new RunOptions();
        using var sourceIds = OrtValue.CreateTensorValueFromMemory(source, [rows, width]);
        using var memory = encoder.Run(options, ["source_ids"], [sourceIds], ["memory"]);
        var prefixes = Enumerable.Range(0, rows).Select(_ => new List<long> { SpecialTokens.Bos }).ToArray();
        var outputs = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var ended = new bool[rows];
        for (int step = 0; step < config.MaxLength - 2 && !ended.All(e => e); step++)
        {
            long[] target = [.. prefixes.SelectMany(p => p)];
            using var targetIds = OrtValue.CreateTensorValueFromMemory(target, [rows, step + 1]);
            using var logits = decoder.Run(options, ["memory", "source_ids", "target_ids"], [memory[0], sourceIds, targetIds], ["logits"]);
            var all = logits[0].GetTensorDataAsSpan<float>().ToArray();
            for (int r = 0; r < rows; r++)
            {
                if (ended[r])
                {
                    prefixes[r].Add(config.PadId);
                    continue;
                }
                var row = all.AsSpan(r * vocab, vocab);
                LogProbabilities.ForbidSpecial(row, config);
                int next = LogProbabilities.ArgMax(row);
                prefixes[r].Add(next);
                if (next == SpecialTokens.Eos) ended[r] = true;
                else outputs[r].Add(next);
            }
        }
        return [.. outputs.Select(o => tokenizer.Decode(o.ToArray()))];
    }
}
