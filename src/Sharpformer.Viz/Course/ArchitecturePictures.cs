using System.Globalization;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 10: the whole encoder–decoder model, with each part's parameters counted from a built model.</summary>
internal static class ArchitecturePictures
{
    /// <summary>Writes the model as blocks, bottom to top, for the <see cref="TransformerConfig.Small"/> preset.</summary>
    public static void Write(string path)
    {
        var config = TransformerConfig.Small();
        var model = new Transformer(config, new Rng(1));
        long Count(string prefix) => model.NamedParameters().Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Sum(p => (long)p.Value.Length);
        string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

        using var diagram = new Diagram(1040, 900, "The Transformer, small preset",
            string.Create(CultureInfo.InvariantCulture,
                $"d_model {config.DModel}, {config.Heads} heads, d_ff {config.DimFeedForward}, {config.EncoderLayers} + " +
                $"{config.DecoderLayers} layers, vocabulary {N(config.TargetVocab)}: {N(model.ParameterCount())} parameters"));
        const float left = 290, right = 750;
        diagram.Box(left, 840, 240, 40, Diagram.Input, "source token ids");
        diagram.Box(right, 840, 300, 40, Diagram.Input, "target ids, shifted right (bos first)");
        diagram.Box(left, 760, 300, 56, Diagram.Operation, "embedding · √d + positions", $"shared table: {N(Count("src_embed"))}");
        diagram.Box(right, 760, 300, 56, Diagram.Operation, "embedding · √d + positions", "the same table");
        diagram.Arrow(left, 820, left, 788);
        diagram.Arrow(right, 820, right, 788);

        diagram.Box(left, 560, 300, 250, Diagram.Attention, $"encoder layer × {config.EncoderLayers}", "multi-head self-attention",
            "add & norm", $"feed-forward {config.DModel} → {config.DimFeedForward} → {config.DModel}", "add & norm", "",
            $"with the final norm: {N(Count("transformer.encoder"))}");
        diagram.Box(right, 520, 320, 330, Diagram.Attention, $"decoder layer × {config.DecoderLayers}", "masked self-attention",
            "add & norm", "cross-attention over the memory", "add & norm", "feed-forward", "add & norm", "",
            $"with the final norm: {N(Count("transformer.decoder"))}");
        diagram.Arrow(left, 732, left, 686);
        diagram.Arrow(right, 732, right, 686);
        diagram.Path(null, new SkiaSharp.SKPoint(left, 434), new SkiaSharp.SKPoint(left, 400), new SkiaSharp.SKPoint(500, 400),
            new SkiaSharp.SKPoint(500, 520), new SkiaSharp.SKPoint(right - 160, 520));
        diagram.Text(298, 392, "memory: the encoder's output, [B, S, d]", 14, left: true);

        diagram.Box(right, 290, 300, 56, Diagram.Norm, "generator: linear d → V", $"{N(Count("generator"))} parameters");
        diagram.Box(right, 200, 300, 40, Diagram.Output, "softmax: next-token probabilities");
        diagram.Arrow(right, 355, right, 318);
        diagram.Arrow(right, 262, right, 220);
        diagram.Text(60, 200, "Training: the fused output layer and loss read", 14, left: true);
        diagram.Text(60, 220, "the decoder's output (page 09). Decoding: one", 14, left: true);
        diagram.Text(60, 240, "position at a time with a key/value cache (page 12).", 14, left: true);
        diagram.Save(path);
    }
}
