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
    private (float[] Cos, float[] Sin)? _ropeTable;   // every rotary attention of a model shares its θ (config.rope_base)

    public TransformerGraph(OnnxGraph graph, SequenceModel model)
    {
        (_g, _config) = (graph, model.Config);
        foreach (var (name, value) in model.NamedParameters()) _names[value] = name;
        foreach (var (name, blocks) in model.NamedInt8Weights())
            for (int i = 0; i < blocks.Count; i++) _int8Names.TryAdd(blocks[i], blocks.Count == 1 ? name : $"{name}.{"qkv"[i]}");
    }

    /// <summary>
    /// ids: [B, L] → embedding·√d_model + the sinusoidal positions start … start + L − 1: [B, L, d_model]
    /// (<paramref name="start"/>: a [1] int64 value, null for 0).
    /// </summary>
    public string Embed(Embedding table, SinusoidalPositionalEncoding positions, string ids, string? start = null)
    {
        var x = table.Int8Weight is { } int8 ? Int8Rows(int8, ids) : _g.Node("Gather", [Weight(table.Weight), ids]);   // [B, L, d]
        x = _g.Node("Mul", [x, _g.Scalar(MathF.Sqrt(_config.DModel))]);
        if (_config.Positional == PositionalKind.Rope) return x;                                  // positions rotate q and k instead
        var end = start is null ? Length(ids) : _g.Node("Add", [start, Length(ids)]);
        var rows = _g.Node("Slice", [_g.Weight("positional_encoding", positions.Table), start ?? _g.Int64s(0), end, _g.Int64s(0)]);
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

    /// <summary>
    /// ids: [B, t] of new positions after <paramref name="past"/> ([1]: P) earlier ones → the causal rule alone (no padding):
    /// [t, P + t], −∞ where a key comes after the query's own position.
    /// </summary>
    public string CausalAfter(string past, string ids)
    {
        var length = Length(ids);
        var shape = _g.Node("Concat", [length, _g.Node("Add", [past, length])], attributes: ("axis", 0));   // [2]: t, P + t
        var blocked = _g.Node("Expand", [_g.Scalar(float.NegativeInfinity), shape]);
        var diagonal = _g.Node("Squeeze", [_g.Node("Add", [past, _g.Int64s(1)]), _g.Int64s(0)]);   // 0-D: P + 1
        return _g.Node("Trilu", [blocked, diagonal], attributes: ("upper", 1));                    // key j > P + query i: −∞
    }

    /// <summary>
    /// query: [B, T, d], keyValue: [B, S, d] (the same value for self-attention, whose queries and keys rotate by their
    /// positions 0 … T − 1 in a rotary model), mask [.., T or 1, S] → [B, T, d].
    /// </summary>
    public string Attention(MultiHeadAttention attention, string query, string keyValue, string mask)
    {
        string q = Heads(attention, query, 0), k = Heads(attention, keyValue, 1);
        if (attention.RopeBase is float theta && query == keyValue) (q, k) = (Rotate(q, theta, null), Rotate(k, theta, null));
        return Attend(attention, q, k, Heads(attention, keyValue, 2), mask);
    }

    /// <summary>
    /// Self-attention of new positions x: [B, t, d] over the keys and values of earlier ones, past [B, H, P, d_h] each, and
    /// their own → the output [B, t, d] and the keys and values of all P + t positions.
    /// </summary>
    public (string Output, string Key, string Value) CachedSelfAttention(MultiHeadAttention attention, string x,
        (string Key, string Value) past, string pastLength, string mask)
    {
        string q = Heads(attention, x, 0), k = Heads(attention, x, 1);
        if (attention.RopeBase is float theta) (q, k) = (Rotate(q, theta, pastLength), Rotate(k, theta, pastLength));
        var key = _g.Node("Concat", [past.Key, k], attributes: ("axis", 2));                      // [B, H, P + t, d_h]
        var value = _g.Node("Concat", [past.Value, Heads(attention, x, 2)], attributes: ("axis", 2));
        return (Attend(attention, q, key, value, mask), key, value);
    }

    // Heads x: [B, H, L, d_h] of positions start … start + L − 1 (start: [1] int64, null for 0) rotated as Kernels.Rope does,
    // the halves (x₁, x₂) of each head vector turned together: (x₁·cos − x₂·sin, x₂·cos + x₁·sin).
    private string Rotate(string x, float theta, string? start)
    {
        int headSize = _config.DModel / _config.Heads, half = headSize / 2;
        var (cos, sin) = _ropeTable ??= Kernels.Rope.Table(0, _config.MaxLength, headSize, theta);  // [max_length, d_h/2] each
        var length = _g.Node("Shape", [x], attributes: [("start", 2), ("end", 3)]);
        var first = start ?? _g.Int64s(0);
        var end = _g.Node("Add", [first, length]);
        string Rows(string name, float[] table) =>
            _g.Node("Slice", [_g.Matrix(name, table, _config.MaxLength, half), first, end, _g.Int64s(0)]);   // [L, d_h/2]
        string c = Rows("rope_cos", cos), s = Rows("rope_sin", sin);
        string Half(long from, long to) => _g.Node("Slice", [x, _g.Int64s(from), _g.Int64s(to), _g.Int64s(-1)]);
        string x1 = Half(0, half), x2 = Half(half, headSize);
        var y1 = _g.Node("Sub", [_g.Node("Mul", [x1, c]), _g.Node("Mul", [x2, s])]);
        var y2 = _g.Node("Add", [_g.Node("Mul", [x2, c]), _g.Node("Mul", [x1, s])]);
        return _g.Node("Concat", [y1, y2], attributes: ("axis", -1));
    }

    // x: [B, L, d] → part 0, 1 or 2 (q, k, v) of the in-projection, split into heads: [B, H, L, d_h].
    private string Heads(MultiHeadAttention attention, string x, int part)
    {
        var projected = _g.Node("Add", [_g.Node("MatMul", [x, attention.Int8InProjection is { } int8 ? Int8Transposed(int8[part])
            : Weight(attention.InProjWeight, part, transpose: true)]), Weight(attention.InProjBias, part)]);
        var split = _g.Node("Reshape", [projected, _g.Int64s(0, 0, attention.Heads, _config.DModel / attention.Heads)]);
        return _g.Node("Transpose", [split], attributes: ("perm", new long[] { 0, 2, 1, 3 }));
    }

    // q: [B, H, T, d_h], k and v: [B, H, S, d_h], mask [.., T or 1, S] → softmax(q·kᵀ/√d_h + mask)·v, heads merged and
    // projected: [B, T, d].
    private string Attend(MultiHeadAttention attention, string q, string k, string v, string mask)
    {
        int d = _config.DModel, headSize = d / attention.Heads;
        var kT = _g.Node("Transpose", [k], attributes: ("perm", new long[] { 0, 1, 3, 2 }));       // [B, H, d_h, S]
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
    public string Encoder(Encoder encoder, string x, string mask) =>
        Encoder(encoder, x, (_, attention, h) => Attention(attention, h, h, mask));

    /// <summary>
    /// An encoder stack whose self-attention layer i computes as <paramref name="selfAttention"/>(i, module, its input)
    /// (a decoder-only model's cached stack).
    /// </summary>
    public string Encoder(Encoder encoder, string x, Func<int, MultiHeadAttention, string, string> selfAttention)
    {
        for (int i = 0; i < encoder.Layers.Count; i++)
        {
            var layer = encoder.Layers[i];
            if (layer.Norm == NormPlacement.Post)
            {
                x = Norm(layer.Norm1, _g.Node("Add", [x, selfAttention(i, layer.SelfAttention, x)]));
                x = Norm(layer.Norm2, _g.Node("Add", [x, FeedForward(layer.FeedForward, x)]));
            }
            else
            {
                x = _g.Node("Add", [x, selfAttention(i, layer.SelfAttention, Norm(layer.Norm1, x))]);
                x = _g.Node("Add", [x, FeedForward(layer.FeedForward, Norm(layer.Norm2, x))]);
            }
        }
        return encoder.FinalNorm is null ? x : Norm(encoder.FinalNorm, x);
    }

    /// <summary>A decoder stack: x: [B, T, d] over memory [B, S, d] with its masks → [B, T, d].</summary>
    public string Decoder(Decoder decoder, string x, string memory, string targetMask, string memoryMask) =>
        Decoder(decoder, x, memory, memoryMask, (_, attention, h) => Attention(attention, h, h, targetMask));

    /// <summary>A decoder stack whose self-attention layer i computes as <paramref name="selfAttention"/>(i, module, its input).</summary>
    public string Decoder(Decoder decoder, string x, string memory, string memoryMask,
        Func<int, MultiHeadAttention, string, string> selfAttention)
    {
        for (int i = 0; i < decoder.Layers.Count; i++)
        {
            var layer = decoder.Layers[i];
            if (layer.Norm == NormPlacement.Post)
            {
                x = Norm(layer.Norm1, _g.Node("Add", [x, selfAttention(i, layer.SelfAttention, x)]));
                x = Norm(layer.Norm2, _g.Node("Add", [x, Attention(layer.CrossAttention, x, memory, memoryMask)]));
                x = Norm(layer.Norm3, _g.Node("Add", [x, FeedForward(layer.FeedForward, x)]));
            }
            else
            {
                x = _g.Node("Add", [x, selfAttention(i, layer.SelfAttention, Norm(layer.Norm1, x))]);
                x = _g.Node("Add", [x, Attention(layer.CrossAttention, Norm(layer.Norm2, x), memory, memoryMask)]);
                x = _g.Node("Add", [x, FeedForward(layer.FeedForward, Norm(layer.Norm3, x))]);
            }
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
