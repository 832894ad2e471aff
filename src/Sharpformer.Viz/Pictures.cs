using Sharpformer.NN;
using Sharpformer.Text;
using Sharpformer.Training;

namespace Sharpformer.Viz;

/// <summary>
/// Every picture in one call each, for the CLI and the demo. Each writes PNG files (creating their
/// folder) and returns the paths written.
/// <para>
/// Where a call writes several files (<see cref="WriteAttention"/>), <c>output</c> is either a folder,
/// which receives <c>attention-encoder-self-layer1.png</c>, <c>attention-decoder-self-layer1.png</c>,
/// <c>attention-decoder-cross-layer1.png</c> … , or a name ending in <c>.png</c>, whose stem becomes a
/// prefix: <c>out/attn.png</c> gives <c>out/attn-encoder-self-layer1.png</c> … .
/// </para>
/// </summary>
public static class Pictures
{
    /// <summary>
    /// The sinusoidal positional-encoding matrix for width <paramref name="dim"/> and <paramref name="length"/> positions.
    /// </summary>
    public static string WritePositionalEncoding(int dim, int length, string outputPath)
    {
        if (dim < 2) throw new ArgumentException($"the positional encoding needs a width of at least 2, not {dim}");
        if (length < 1) throw new ArgumentException($"the positional encoding needs at least 1 position, not {length}");
        PositionalPictures.Write(dim, length, outputPath);
        return outputPath;
    }

    /// <summary>
    /// The positional-encoding matrix of <paramref name="model"/> (its first <paramref name="length"/> positions, all by default).
    /// </summary>
    public static string WritePositionalEncoding(SequenceModel model, string outputPath, int? length = null)
    {
        var encoding = model switch
        {
            Transformer t => t.PositionalEncoding,
            LanguageModel lm => lm.PositionalEncoding,
            _ => throw new ArgumentException($"no positional encoding known for {model.GetType().Name}"),
        };
        PositionalPictures.Write(encoding, outputPath, length);
        return outputPath;
    }

    /// <summary>Loss (training and validation), learning rate and gradient norm from a metrics.jsonl file, in one PNG.</summary>
    public static string WriteCurves(string metricsPath, string outputPath)
    {
        var points = MetricsLog.Read(metricsPath);
        CurvePictures.Write(points, outputPath);
        return outputPath;
    }

    /// <summary>
    /// Validation BLEU against training minutes for several runs (see <see cref="RunComparisonPictures"/>), each named by
    /// the folder of its metrics file; returns <paramref name="outputPath"/>.
    /// </summary>
    public static string WriteRunComparison(IReadOnlyList<string> metricsPaths, string outputPath)
    {
        var runs = metricsPaths.Select(p => (Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(p)))!,
            MetricsLog.Read(p))).ToList();
        RunComparisonPictures.Write(runs, outputPath);
        return outputPath;
    }

    /// <summary>
    /// Attention heatmaps of <paramref name="model"/> on <paramref name="source"/> (see
    /// <see cref="AttentionCapture.Capture"/>): one PNG per kind and layer, a panel per head.
    /// </summary>
    public static IReadOnlyList<string> WriteAttention(SequenceModel model, ITokenizer tokenizer, string source, string? target,
        string output)
    {
        var maps = AttentionCapture.Capture(model, tokenizer, source, target);
        var paths = new List<string>();
        foreach (var map in maps)
        {
            string path = AttentionPath(output, map);
            AttentionPictures.Write(map, path);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>A labelled 2-D PCA of up to <paramref name="tokens"/> token embeddings.</summary>
    public static string WriteEmbeddings(SequenceModel model, ITokenizer tokenizer, string outputPath,
        int tokens = EmbeddingPictures.DefaultTokens)
    {
        EmbeddingPictures.Write(model, tokenizer, outputPath, tokens);
        return outputPath;
    }

    /// <summary>
    /// Where <see cref="WriteAttention"/> puts <paramref name="map"/> for the given <paramref name="output"/> (folder or prefix.png).
    /// </summary>
    public static string AttentionPath(string output, AttentionMap map)
    {
        if (output.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            return Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}-{map.FileStem}.png");
        return Path.Combine(output, $"attention-{map.FileStem}.png");
    }
}
