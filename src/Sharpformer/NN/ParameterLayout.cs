namespace Sharpformer.NN;

/// <summary>
/// The parameters a config describes, without building the model: each tensor's names (the first is
/// the one it is saved under; later ones are the names it shares, as PyTorch's state dict lists them)
/// and its shape, in the order the model registers them. Loading checks a weights file's header against
/// this before anything is allocated; a test checks it against the built models.
/// </summary>
public static class ParameterLayout
{
    /// <summary>The parameter tensors of <paramref name="config"/>'s model, each once.</summary>
    public static IReadOnlyList<(string[] Names, long[] Shape)> Of(TransformerConfig config)
    {
        long d = config.DModel, ff = config.DimFeedForward, vs = config.SourceVocab, vt = config.TargetVocab;
        var layout = new List<(string[], long[])>();
        void Linear(string prefix, long input, long output)
        {
            layout.Add(([$"{prefix}.weight"], [output, input]));
            layout.Add(([$"{prefix}.bias"], [output]));
        }
        void Norm(string prefix)
        {
            layout.Add(([$"{prefix}.weight"], [d]));
            layout.Add(([$"{prefix}.bias"], [d]));
        }
        void Attention(string prefix)
        {
            layout.Add(([$"{prefix}.in_proj_weight"], [3 * d, d]));
            layout.Add(([$"{prefix}.in_proj_bias"], [3 * d]));
            Linear($"{prefix}.out_proj", d, d);
        }
        void Layer(string prefix, bool cross)
        {
            Attention($"{prefix}.self_attn");
            if (cross) Attention($"{prefix}.multihead_attn");
            Linear($"{prefix}.linear1", d, ff);
            Linear($"{prefix}.linear2", ff, d);
            Norm($"{prefix}.norm1");
            Norm($"{prefix}.norm2");
            if (cross) Norm($"{prefix}.norm3");
        }
        void Stack(string prefix, int layers, bool cross)
        {
            for (int i = 0; i < layers; i++) Layer($"{prefix}.layers.{i}", cross);
            Norm($"{prefix}.norm");
        }

        string[] tiedOutput = config.TieOutput ? ["generator.weight"] : [];
        if (config.Architecture == Architecture.DecoderOnly)
        {
            layout.Add((["tgt_embed.weight", .. tiedOutput], [vt, d]));
            Stack("decoder", config.DecoderLayers, cross: false);
        }
        else
        {
            if (config.ShareEmbeddings) layout.Add((["src_embed.weight", "tgt_embed.weight", .. tiedOutput], [vs, d]));
            else
            {
                layout.Add((["src_embed.weight"], [vs, d]));
                layout.Add((["tgt_embed.weight", .. tiedOutput], [vt, d]));
            }
            Stack("transformer.encoder", config.EncoderLayers, cross: false);
            Stack("transformer.decoder", config.DecoderLayers, cross: true);
        }
        if (!config.TieOutput) layout.Add((["generator.weight"], [vt, d]));
        layout.Add((["generator.bias"], [vt]));
        return layout;
    }

    /// <summary>
    /// The tensors of the weights file of <paramref name="config"/>'s model: <see cref="Of"/> for float32 weights; for
    /// int8 ones each matrix [rows, columns] becomes its int8 values under the same names and its scales [rows]
    /// under the names plus <see cref="ScaleSuffix"/>.
    /// </summary>
    public static IReadOnlyList<(string[] Names, long[] Shape)> Stored(TransformerConfig config) =>
        config.Weights == WeightFormat.Int8 ? WithScales(Of(config)) : Of(config);

    /// <summary>What the name of an int8 matrix's scales adds to the matrix's name.</summary>
    public const string ScaleSuffix = "_scale";

    /// <summary>Slots of float tensors with each matrix followed by the slot of its per-row scales.</summary>
    internal static IReadOnlyList<(string[] Names, long[] Shape)> WithScales(IEnumerable<(string[] Names, long[] Shape)> slots) =>
        [.. slots.SelectMany(s => s.Shape.Length == 2
            ? new[] { s, (s.Names.Select(n => n + ScaleSuffix).ToArray(), new[] { s.Shape[0] }) }
            : [s])];

    /// <summary>
    /// Number of values in all parameters (shared tensors once), as <see cref="Module.ParameterCount"/> of
    /// the built model.
    /// </summary>
    public static long ParameterCount(TransformerConfig config) => Of(config).Sum(p => p.Shape.Aggregate(1L, (n, x) => n * x));
}
