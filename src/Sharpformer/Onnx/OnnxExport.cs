using Sharpformer.IO;
using Sharpformer.NN;

namespace Sharpformer.Onnx;

/// <summary>
/// Writes a model as ONNX graphs (opset 17) that ONNX Runtime and other ONNX engines run. An encoder-decoder model
/// becomes two graphs: <c>encoder.onnx</c> (source ids [batch, source_length] → memory [batch, source_length, d_model])
/// and <c>decoder.onnx</c> (memory, source ids for its padding mask, and the target ids so far [batch, target_length] →
/// the logits of the last position [batch, vocabulary]); a decoder-only model becomes <c>decoder.onnx</c> alone (input ids
/// [batch, length] → the logits of the last position). Batch and lengths are dynamic; the weights are initializers inside
/// each file, float32, or for an int8 model int8 with their per-row scales (<c>DequantizeLinear</c> where they are read).
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graphs use (LayerNormalization needs 17).</summary>
    public const int Opset = OnnxGraph.Opset;

    /// <summary>The encoder graph's file name.</summary>
    public const string EncoderFile = "encoder.onnx";

    /// <summary>The decoder graph's file name.</summary>
    public const string DecoderFile = "decoder.onnx";

    /// <summary>The file name of the decoder graph with a key/value cache (past keys and values in, present ones out).</summary>
    public const string DecoderWithPastFile = "decoder_with_past.onnx";

    /// <summary>
    /// Writes the model's graphs into <paramref name="directory"/> (created if needed), each atomically; returns their paths.
    /// </summary>
    /// <exception cref="NotSupportedException">The model is of a kind the export does not cover yet (named in the message).</exception>
    public static IReadOnlyList<string> Write(SequenceModel model, string directory)
    {
        if (model.HasLora) throw new NotSupportedException("merge the model's LoRA adapters into its weights before exporting it");
        Directory.CreateDirectory(directory);
        string encoder = Path.Combine(directory, EncoderFile), decoder = Path.Combine(directory, DecoderFile);
        string withPast = Path.Combine(directory, DecoderWithPastFile);
        if (model is LanguageModel languageModel)
        {
            AtomicFile.Write(decoder, stream => stream.Write(Decoder(languageModel)));
            AtomicFile.Write(withPast, stream => stream.Write(DecoderWithPast(languageModel)));
            return [decoder, withPast];
        }
        var transformer = (Transformer)model;
        AtomicFile.Write(encoder, stream => stream.Write(Encoder(transformer)));
        AtomicFile.Write(decoder, stream => stream.Write(Decoder(transformer)));
        AtomicFile.Write(withPast, stream => stream.Write(DecoderWithPast(transformer)));
        return [encoder, decoder, withPast];
    }

    /// <summary>The encoder graph: source_ids [batch, source_length] (int64) → memory [batch, source_length, d_model].</summary>
    internal static byte[] Encoder(Transformer model)
    {
        var g = new OnnxGraph("sharpformer_encoder");
        var t = new TransformerGraph(g, model);
        var ids = g.Input("source_ids", OnnxGraph.Int64Type, "batch", "source_length");
        var x = t.Embed(model.SourceEmbedding, model.PositionalEncoding, ids);
        var memory = t.Encoder(model.Core.Encoder, x, t.KeyPadding(ids));
        g.Output(memory, "memory", OnnxGraph.FloatType, "batch", "source_length", model.Config.DModel);
        return g.ToModel(Version);
    }

    /// <summary>
    /// The decoder graph: memory [batch, source_length, d_model], source_ids [batch, source_length] and target_ids
    /// [batch, target_length] (int64) → logits [batch, vocabulary] of the last target position.
    /// </summary>
    internal static byte[] Decoder(Transformer model)
    {
        var g = new OnnxGraph("sharpformer_decoder");
        var t = new TransformerGraph(g, model);
        var memory = g.Input("memory", OnnxGraph.FloatType, "batch", "source_length", model.Config.DModel);
        var source = g.Input("source_ids", OnnxGraph.Int64Type, "batch", "source_length");
        var target = g.Input("target_ids", OnnxGraph.Int64Type, "batch", "target_length");
        var x = t.Embed(model.TargetEmbedding, model.PositionalEncoding, target);
        x = t.Decoder(model.Core.Decoder, x, memory, t.CausalWithPadding(target), t.KeyPadding(source));
        g.Output(t.LastLogits(model.Generator, x, target), "logits", OnnxGraph.FloatType, "batch", model.Config.TargetVocab);
        return g.ToModel(Version);
    }

    /// <summary>
    /// The decoder graph with a key/value cache: memory and source_ids as <see cref="Decoder(Transformer)"/>'s, target_ids
    /// [batch, new_length] (the tokens not fed yet: bos and any prefix at the first step, then one a step) and, for each
    /// decoder layer i, past_key_values.i.key and .value [batch, heads, past_length, head_size] (past_length 0 at the first
    /// step) → logits [batch, vocabulary] of the last new position and present.i.key and .value [batch, heads,
    /// past_length + new_length, head_size], the next step's past. Rows advance together: no padding among the targets.
    /// </summary>
    internal static byte[] DecoderWithPast(Transformer model)
    {
        var g = new OnnxGraph("sharpformer_decoder_with_past");
        var t = new TransformerGraph(g, model);
        var memory = g.Input("memory", OnnxGraph.FloatType, "batch", "source_length", model.Config.DModel);
        var source = g.Input("source_ids", OnnxGraph.Int64Type, "batch", "source_length");
        var target = g.Input("target_ids", OnnxGraph.Int64Type, "batch", "new_length");
        var cache = new LayerCache(g, model.Config, model.Core.Decoder.Layers.Count);
        var x = t.Embed(model.TargetEmbedding, model.PositionalEncoding, target, cache.PastLength);
        var causal = t.CausalAfter(cache.PastLength, target);
        x = t.Decoder(model.Core.Decoder, x, memory, t.KeyPadding(source), (i, attention, h) => cache.Attend(t, i, attention, h, causal));
        g.Output(t.LastLogits(model.Generator, x, target), "logits", OnnxGraph.FloatType, "batch", model.Config.TargetVocab);
        cache.WriteOutputs();
        return g.ToModel(Version);
    }

    /// <summary>
    /// A decoder-only model's graph: input_ids [batch, length] (int64) → logits [batch, vocabulary] of the last position.
    /// </summary>
    internal static byte[] Decoder(LanguageModel model)
    {
        var g = new OnnxGraph("sharpformer_language_model");
        var t = new TransformerGraph(g, model);
        var ids = g.Input("input_ids", OnnxGraph.Int64Type, "batch", "length");
        var x = t.Encoder(model.Blocks, t.Embed(model.Embedding, model.PositionalEncoding, ids), t.CausalWithPadding(ids));
        g.Output(t.LastLogits(model.Generator, x, ids), "logits", OnnxGraph.FloatType, "batch", model.Config.TargetVocab);
        return g.ToModel(Version);
    }

    /// <summary>
    /// A decoder-only model's graph with a key/value cache: input_ids [batch, new_length] and, per block i,
    /// past_key_values.i.key and .value → logits of the last new position and present.i.key and .value (as
    /// <see cref="DecoderWithPast(Transformer)"/>; no padding among the ids).
    /// </summary>
    internal static byte[] DecoderWithPast(LanguageModel model)
    {
        var g = new OnnxGraph("sharpformer_language_model_with_past");
        var t = new TransformerGraph(g, model);
        var ids = g.Input("input_ids", OnnxGraph.Int64Type, "batch", "new_length");
        var cache = new LayerCache(g, model.Config, model.Blocks.Layers.Count);
        var causal = t.CausalAfter(cache.PastLength, ids);
        var x = t.Encoder(model.Blocks, t.Embed(model.Embedding, model.PositionalEncoding, ids, cache.PastLength),
            (i, attention, h) => cache.Attend(t, i, attention, h, causal));
        g.Output(t.LastLogits(model.Generator, x, ids), "logits", OnnxGraph.FloatType, "batch", model.Config.TargetVocab);
        cache.WriteOutputs();
        return g.ToModel(Version);
    }

    // Each self-attention layer's past keys and values (graph inputs) and present ones (graph outputs).
    private sealed class LayerCache
    {
        private readonly OnnxGraph _g;
        private readonly (string Key, string Value)[] _past, _present;
        private readonly object[] _dims;

        public LayerCache(OnnxGraph g, TransformerConfig config, int layers)
        {
            (_g, _dims) = (g, ["batch", config.Heads, "past_length", config.DModel / config.Heads]);
            _past = [.. Enumerable.Range(0, layers).Select(i => (g.Input($"past_key_values.{i}.key", OnnxGraph.FloatType, _dims),
                g.Input($"past_key_values.{i}.value", OnnxGraph.FloatType, _dims)))];
            _present = new (string, string)[layers];
            PastLength = g.Node("Shape", [_past[0].Key], attributes: [("start", 2), ("end", 3)]);   // [1]: P
        }

        /// <summary>The number of positions already fed: [1] int64.</summary>
        public string PastLength { get; }

        public string Attend(TransformerGraph t, int layer, MultiHeadAttention attention, string x, string causal)
        {
            var (output, key, value) = t.CachedSelfAttention(attention, x, _past[layer], PastLength, causal);
            _present[layer] = (key, value);
            return output;
        }

        public void WriteOutputs()
        {
            object[] dims = [.. _dims[..2], "total_length", _dims[3]];
            for (int i = 0; i < _present.Length; i++)
            {
                _g.Output(_present[i].Key, $"present.{i}.key", OnnxGraph.FloatType, dims);
                _g.Output(_present[i].Value, $"present.{i}.value", OnnxGraph.FloatType, dims);
            }
        }
    }

    private static string Version => typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0";
}
