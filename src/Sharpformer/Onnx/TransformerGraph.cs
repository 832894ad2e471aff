using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Onnx;

/// <summary>
/// The pieces of a Transformer as ONNX nodes, each the same computation as its module's forward pass in evaluation mode:
/// embeddings with positions, padding and causal masks, attention, feed-forward blocks, layer norms, the stacks.
/// Weights are initializers named as the model's parameters (a matrix that a product reads transposed gets ".T"). An int8
/// model's matrices stay int8, with their per-row scales, turned into float32 by <c>DequantizeLinear</c> where a product
/// reads them (and by row for the embedding): the computation of Sharpformer's int8 path that keeps activations float32.
/// </summary>
internal sealed class TransformerGraph
{
    private readonly OnnxGraph _g;
    private readonly TransformerConfig _config;
    private readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<QuantizedMatrix, string> _int8Names = new(ReferenceEqualityComparer.Instance);

    public TransformerGraph(OnnxGraph graph, SequenceModel model)
    {
        (_g, _config) = (graph, model.Config);
        foreach (var (name, value) in model.NamedParameters()) _names[value] = name;
        foreach (var (name, blocks) in model.NamedInt8Weights())
            for (int i = 0; i < blocks.Count; i++) _int8Names.TryAdd(blocks[i], blocks.Count == 1 ? name : $"{name}.{"qkv"[i]}");
    }

    /// <summary>ids: [B, L] → embedding·√d_model + the sinusoidal positions 0 … L − 1: [B, L, d_model].</summary>
    public string Embed(Embedding table, SinusoidalPositionalEncoding positions, string ids)
    {
        var x = table.Int8Weight is { } int8 ? Int8Rows(int8, ids) : _g.Node("Gather", [Weight(table.Weight), ids]);   // [B, L, d]
        x = _g.Node("Mul", [x, _g.Scalar(MathF.Sqrt(_config.DModel))]);
        var rows = _g.Node("Slice", [_g.Weight("positional_encoding", positions.Table), _g.Int64s(0), Length(ids), _g.Int64s(0)]);
        return _g.Node("Add", [x, rows]);                                                         // + PE: [L, d]
    }

    /// <summary>ids: [B, L] → [1]: L.</summary>
    public string Length(string ids) => _g.Node("Shape", [ids], attributes: [("start", 1), ("end", 2)]);

    /// <summary>ids: [B, L] → an additive mask over keys, −∞ at padding: [B, 1, 1, L].</summary>
    public string KeyPadding(string ids)
    {
        var padding = _g.Node("Equal", [ids, _g.Int64s(_config.PadId)]);                          // [B, L] bool
        var bias = _g.Node("Where", [padding, _g.Scalar(float.NegativeInfinity), _g.Scalar(0f)]);
        return _g.Node("Unsqueeze", [bias, _g.Int64s(1, 2)]);
    }

    /// <summary>ids: [B, T] → the causal rule and target padding together: [B, 1, T, T].</summary>
    public string CausalWithPadding(string ids)
    {
        var length = Length(ids);
        var square = _g.Node("Concat", [length, length], attributes: ("axis", 0));                 // [2]: T, T
        var blocked = _g.Node("Expand", [_g.Scalar(float.NegativeInfinity), square]);              // [T, T] of −∞
        var causal = _g.Node("Trilu", [blocked, _g.Int64Scalar(1)], attributes: ("upper", 1));         // −∞ above the diagonal, 0 elsewhere
        return _g.Node("Add", [causal, KeyPadding(ids)]);
    }

    /// <summary>query: [B, T, d], keyValue: [B, S, d] (the same value for self-attention), mask [.., T or 1, S] → [B, T, d].</summary>
    public string Attention(MultiHeadAttention attention, string query, string keyValue, string mask)
    {
        int d = _config.DModel, heads = attention.Heads, headSize = d / heads;
        string Project(string x, int part) => _g.Node("Add", [
            _g.Node("MatMul", [x, attention.Int8InProjection is { } int8 ? Int8Transposed(int8[part])
                : Weight(attention.InProjWeight, part, transpose: true)]), Weight(attention.InProjBias, part)]);
        string Heads(string x, long[] perm) => _g.Node("Transpose", [_g.Node("Reshape", [x, _g.Int64s(0, 0, heads, headSize)])],
            attributes: ("perm", perm));
        var q = Heads(Project(query, 0), [0, 2, 1, 3]);                                           // [B, H, T, d_h]
        var kT = Heads(Project(keyValue, 1), [0, 2, 3, 1]);                                       // [B, H, d_h, S]
        var v = Heads(Project(keyValue, 2), [0, 2, 1, 3]);                                        // [B, H, S, d_h]
        var scores = _g.Node("Mul", [_g.Node("MatMul", [q, kT]), _g.Scalar(1f / MathF.Sqrt(headSize))]);
        var weights = _g.Node("Softmax", [_g.Node("Add", [scores, mask])], attributes: ("axis", -1));
        var perHead = _g.Node("Transpose", [_g.Node("MatMul", [weights, v])], attributes: ("perm", new long[] { 0, 2, 1, 3 }));
        var merged = _g.Node("Reshape", [perHead, _g.Int64s(0, 0, d)]);                            // [B, T, d]
        return Linear(attention.OutProj, merged);
    }

    /// <summary>x: [..., d] → the feed-forward block (ReLU, or GELU with erf): [..., d].</summary>
    public string FeedForward(FeedForward block, string x)
    {
        var h = Linear(block.Linear1, x);
        if (block.Activation == ActivationKind.Relu) h = _g.Node("Relu", [h]);
        else
        {
            var erf = _g.Node("Erf", [_g.Node("Div", [h, _g.Scalar(MathF.Sqrt(2f))])]);       // GELU(h) = h·(1 + erf(h/√2))/2
            h = _g.Node("Mul", [_g.Node("Mul", [h, _g.Node("Add", [erf, _g.Scalar(1f)])]), _g.Scalar(0.5f)]);
        }
        return Linear(block.Linear2, h);
    }

    /// <summary>x: [..., in] → x·Wᵀ + b.</summary>
    public string Linear(Linear layer, string x) => _g.Node("Add", [_g.Node("MatMul", [x,
        layer.Int8Weight is { } int8 ? Int8Transposed(int8) : Weight(layer.Weight, part: null, transpose: true)]), Weight(layer.Bias!)]);

    /// <summary>Layer normalization over the last dimension.</summary>
    public string Norm(NN.LayerNorm norm, string x) =>
        _g.Node("LayerNormalization", [x, Weight(norm.Weight), Weight(norm.Bias)], attributes: [("axis", -1), ("epsilon", norm.Eps)]);

    /// <summary>An encoder stack (or a decoder-only model's causal stack): x: [B, L, d], mask → [B, L, d].</summary>
    public string Encoder(Encoder encoder, string x, string mask)
    {
        foreach (var layer in encoder.Layers.Items)
            if (layer.Norm == NormPlacement.Post)
            {
                x = Norm(layer.Norm1, _g.Node("Add", [x, Attention(layer.SelfAttention, x, x, mask)]));
                x = Norm(layer.Norm2, _g.Node("Add", [x, FeedForward(layer.FeedForward, x)]));
            }
            else
            {
                var h = Norm(layer.Norm1, x);
                x = _g.Node("Add", [x, Attention(layer.SelfAttention, h, h, mask)]);
                x = _g.Node("Add", [x, FeedForward(layer.FeedForward, Norm(layer.Norm2, x))]);
            }
        return encoder.FinalNorm is null ? x : Norm(encoder.FinalNorm, x);
    }

    /// <summary>A decoder stack: x: [B, T, d] over memory [B, S, d] with its masks → [B, T, d].</summary>
    public string Decoder(Decoder decoder, string x, string memory, string targetMask, string memoryMask)
    {
        foreach (var layer in decoder.Layers.Items)
            if (layer.Norm == NormPlacement.Post)
            {
                x = Norm(layer.Norm1, _g.Node("Add", [x, Attention(layer.SelfAttention, x, x, targetMask)]));
                x = Norm(layer.Norm2, _g.Node("Add", [x, Attention(layer.CrossAttention, x, memory, memoryMask)]));
                x = Norm(layer.Norm3, _g.Node("Add", [x, FeedForward(layer.FeedForward, x)]));
            }
            else
            {
                var h = Norm(layer.Norm1, x);
                x = _g.Node("Add", [x, Attention(layer.SelfAttention, h, h, targetMask)]);
                x = _g.Node("Add", [x, Attention(layer.CrossAttention, Norm(layer.Norm2, x), memory, memoryMask)]);
                x = _g.Node("Add", [x, FeedForward(layer.FeedForward, Norm(layer.Norm3, x))]);
            }
        return decoder.FinalNorm is null ? x : Norm(decoder.FinalNorm, x);
    }

    /// <summary>x: [B, L, d] → the output layer's logits at the last position: [B, vocabulary].</summary>
    public string LastLogits(Linear generator, string x, string ids)
    {
        var last = _g.Node("Sub", [Length(ids), _g.Int64s(1)]);                                  // [1]: L − 1
        var row = _g.Node("Squeeze", [_g.Node("Gather", [x, last], attributes: ("axis", 1)), _g.Int64s(1)]);   // [B, d]
        return Linear(generator, row);
    }

    // An int8 matrix W = s ⊙ q: [out, in] as Wᵀ for MatMul: q transposed, int8 [in, out], and s [out], dequantized per column.
    private string Int8Transposed(QuantizedMatrix matrix)
    {
        string name = _int8Names[matrix];
        var values = new sbyte[matrix.Rows * matrix.Columns];
        matrix.CopyValuesTo(values);
        var transposed = new sbyte[values.Length];
        for (int r = 0; r < matrix.Rows; r++)
            for (int c = 0; c < matrix.Columns; c++) transposed[c * matrix.Rows + r] = values[r * matrix.Columns + c];
        var q = _g.Int8Weight(name + ".T", transposed, matrix.Columns, matrix.Rows);
        return _g.Node("DequantizeLinear", [q, _g.FloatVector(name + ParameterLayout.ScaleSuffix, matrix.Scales)], attributes: ("axis", 1));
    }

    // ids: [B, L] → rows of an int8 table as float32, s[id]·q[id]: [B, L, columns].
    private string Int8Rows(QuantizedMatrix table, string ids)
    {
        string name = _int8Names[table];
        var values = new sbyte[table.Rows * table.Columns];
        table.CopyValuesTo(values);
        var q = _g.Node("Cast", [_g.Node("Gather", [_g.Int8Weight(name, values, table.Rows, table.Columns), ids])],
            attributes: ("to", OnnxGraph.FloatType));
        var rowScales = _g.Node("Gather", [_g.FloatVector(name + ParameterLayout.ScaleSuffix, table.Scales), ids]);   // [B, L]
        var scales = _g.Node("Unsqueeze", [rowScales, _g.Int64s(-1)]);
        return _g.Node("Mul", [q, scales]);
    }

    // A parameter as an initializer under its name; a part of an attention in-projection (0, 1, 2: q, k, v) or a matrix read
    // transposed by MatMul gets its own initializer.
    private string Weight(Tensor parameter, int? part = null, bool transpose = false)
    {
        string name = _names[parameter];
        var value = parameter;
        if (part is int p)
        {
            int d = _config.DModel;
            value = value.Narrow(0, p * d, d);
            name += "." + "qkv"[p];
        }
        if (transpose)
        {
            value = value.Transpose(0, 1);
            name += ".T";
        }
        return _g.Weight(name, value);
    }
}
