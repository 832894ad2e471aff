using Microsoft.ML.OnnxRuntime;
using Sharpformer.NN;
using Sharpformer.Onnx;
using Sharpformer.Tensors;
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

    public static TheoryData<string> Configs => ["post-norm ReLU", "pre-norm GELU", "separate embeddings", "tied output"];

    private static TransformerConfig Config(string name)
    {
        var tiny = TransformerConfig.Tiny(30) with { DModel = 16, Heads = 4, DimFeedForward = 32, MaxLength = 20, Dropout = 0f };
        return name switch
        {
            "pre-norm GELU" => tiny with { Norm = NormPlacement.Pre, Activation = ActivationKind.Gelu },
            "separate embeddings" => tiny with { ShareEmbeddings = false },
            "tied output" => tiny with { TieOutput = true },
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

        using var encoder = new InferenceSession(Path.Combine(_directory, OnnxExport.EncoderFile));
        using var decoder = new InferenceSession(Path.Combine(_directory, OnnxExport.DecoderFile));
        using var sourceIds = OrtValue.CreateTensorValueFromMemory(Source, [2, 7]);
        using var targetIds = OrtValue.CreateTensorValueFromMemory(Target, [2, 5]);
        using var options = new RunOptions();
        using var encoded = encoder.Run(options, ["source_ids"], [sourceIds], ["memory"]);
        var ortMemory = encoded[0].GetTensorDataAsSpan<float>().ToArray();
        using var decoded = decoder.Run(options, ["memory", "source_ids", "target_ids"], [encoded[0], sourceIds, targetIds], ["logits"]);
        var ortLogits = decoded[0].GetTensorDataAsSpan<float>().ToArray();

        double memoryError = MaxRelative(memory.ToArray(), ortMemory), logitError = MaxRelative(logits, ortLogits);
        output.WriteLine($"{name}: memory within {memoryError:E2} of its largest value, last logits within {logitError:E2}");
        Assert.Equal([2L, 30L], decoded[0].GetTensorTypeAndShape().Shape);
        Assert.True(memoryError <= 1e-4, $"memory differs by {memoryError:E2}");
        Assert.True(logitError <= 1e-4, $"logits differ by {logitError:E2}");
    }

    private static double MaxRelative(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(MathF.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"value {i} is {actual[i]}");
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        }
        return worst;
    }
}
