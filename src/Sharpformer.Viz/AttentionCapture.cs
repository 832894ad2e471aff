using Sharpformer.Autograd;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Viz;

/// <summary>The kind of attention a map shows.</summary>
public enum AttentionKind
{
    /// <summary>Encoder self-attention: source tokens attend to source tokens.</summary>
    EncoderSelf,

    /// <summary>
    /// Decoder (causal) self-attention: decoder inputs attend to earlier decoder inputs; also a language model's attention.
    /// </summary>
    DecoderSelf,

    /// <summary>Decoder cross-attention: decoder inputs attend to the encoded source.</summary>
    Cross,
}

/// <summary>The attention weights of one layer for one sentence: Weights[head][query, key], rows summing to 1.</summary>
/// <param name="Kind">Which attention this is.</param>
/// <param name="Layer">The layer, counted from 0.</param>
/// <param name="Layers">How many layers of this kind the model has.</param>
/// <param name="Weights">One [queries, keys] matrix per head.</param>
/// <param name="QueryTokens">Axis labels of the rows.</param>
/// <param name="KeyTokens">Axis labels of the columns.</param>
public sealed record AttentionMap(AttentionKind Kind, int Layer, int Layers, float[][,] Weights, string[] QueryTokens, string[] KeyTokens)
{
    /// <summary>A file-name stem such as "encoder-self-layer1".</summary>
    public string FileStem => $"{KindStem(Kind)}-layer{Layer + 1}";

    /// <summary>A readable title such as "Encoder self-attention, layer 1 of 2".</summary>
    public string Title => $"{KindTitle(Kind)}, layer {Layer + 1} of {Layers}";

    private static string KindStem(AttentionKind kind) => kind switch
    {
        AttentionKind.EncoderSelf => "encoder-self",
        AttentionKind.DecoderSelf => "decoder-self",
        _ => "decoder-cross",
    };

    private static string KindTitle(AttentionKind kind) => kind switch
    {
        AttentionKind.EncoderSelf => "Encoder self-attention",
        AttentionKind.DecoderSelf => "Decoder self-attention",
        _ => "Decoder cross-attention",
    };
}

/// <summary>Runs a model on one sentence and collects every layer's attention weights with token labels.</summary>
public static class AttentionCapture
{
    /// <summary>
    /// Attention maps of <paramref name="model"/> (switched to evaluation mode) on <paramref name="source"/>.
    /// For an encoder-decoder model the decoder reads &lt;bos&gt; followed by <paramref name="target"/>, or,
    /// when no target is given, by the model's own greedy translation; the maps are encoder self-attention,
    /// decoder self-attention and cross-attention per layer. For a language model the source is the text
    /// it reads and the maps are its (causal) self-attention per layer.
    /// </summary>
    public static IReadOnlyList<AttentionMap> Capture(SequenceModel model, ITokenizer tokenizer, string source, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        model.Eval();
        using var _ = GradMode.NoGrad();
        int limit = model.Config.MaxLength;
        var sourceIds = tokenizer.Encode(source);
        if (sourceIds.Length == 0) throw new ArgumentException("the source text has no tokens");
        return model switch
        {
            Transformer translator => ForTranslator(translator, tokenizer, sourceIds.Take(limit - 2).ToArray(),
                target is not null ? tokenizer.Encode(target)
                : new Translator(translator, tokenizer).TranslateDetailed([source], DecodingOptions.Greedy)[0].Hypotheses[0].Tokens),
            LanguageModel lm => ForLanguageModel(lm, tokenizer, sourceIds.Take(limit).ToArray()),
            _ => throw new ArgumentException($"attention pictures do not know the model type {model.GetType().Name}"),
        };
    }

    // The decoder reads <bos> and targetIds: the given target, or the model's own greedy translation.
    private static List<AttentionMap> ForTranslator(Transformer model, ITokenizer tokenizer, int[] sourceIds, int[] targetIds)
    {
        var src = Row(sourceIds);
        int[] decoderInput = [model.Config.BosId, .. targetIds.Take(model.Config.MaxLength - 1)];
        var (_, attention) = model.ForwardWithAttention(src, Row(decoderInput));

        var sourceLabels = TokenLabels.For(tokenizer, sourceIds);
        var targetLabels = TokenLabels.For(tokenizer, decoderInput);
        var maps = new List<AttentionMap>();
        for (int l = 0; l < attention.Encoder.Count; l++)
            maps.Add(new AttentionMap(AttentionKind.EncoderSelf, l, attention.Encoder.Count, Heads(attention.Encoder[l]),
                sourceLabels, sourceLabels));
        for (int l = 0; l < attention.Decoder.Count; l++)
            maps.Add(new AttentionMap(AttentionKind.DecoderSelf, l, attention.Decoder.Count,
                Heads(attention.Decoder[l].SelfAttention ?? Missing("decoder self-attention")), targetLabels, targetLabels));
        for (int l = 0; l < attention.Decoder.Count; l++)
            maps.Add(new AttentionMap(AttentionKind.Cross, l, attention.Decoder.Count,
                Heads(attention.Decoder[l].CrossAttention ?? Missing("cross-attention")), targetLabels, sourceLabels));
        return maps;
    }

    private static List<AttentionMap> ForLanguageModel(LanguageModel model, ITokenizer tokenizer, int[] ids)
    {
        var weights = new List<Tensor>();
        model.Forward(Row(ids), weights);
        var labels = TokenLabels.For(tokenizer, ids);
        return [.. weights.Select((w, l) => new AttentionMap(AttentionKind.DecoderSelf, l, weights.Count, Heads(w), labels, labels))];
    }

    private static Tensor Missing(string what) => throw new InvalidOperationException($"the model returned no {what} weights");

    private static Tensor Row(int[] ids) => Tensor.FromArray([.. ids.Select(i => (float)i)], 1, ids.Length);

    // [1, H, Q, K] → H matrices [Q, K]
    private static float[][,] Heads(Tensor weights)
    {
        if (weights.Rank != 4 || weights.Size(0) != 1)
            throw new InvalidOperationException(
                $"attention weights of shape {Shapes.Format(weights.Shape)}, expected [1, heads, queries, keys]");
        int heads = weights.Size(1), queries = weights.Size(2), keys = weights.Size(3);
        var data = weights.ToArray();
        var result = new float[heads][,];
        for (int h = 0; h < heads; h++)
        {
            result[h] = new float[queries, keys];
            for (int q = 0; q < queries; q++)
                for (int k = 0; k < keys; k++) result[h][q, k] = data[(h * queries + q) * keys + k];
        }
        return result;
    }
}
