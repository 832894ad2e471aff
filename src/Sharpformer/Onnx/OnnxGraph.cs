using System.Runtime.InteropServices;
using Sharpformer.Tensors;

namespace Sharpformer.Onnx;

/// <summary>
/// Builds one ONNX graph node by node, in the order a forward pass computes, and serializes it as an ONNX model
/// (ModelProto, the default opset <see cref="Opset"/>). Values are named by the graph (v1, v2, …) unless a caller names
/// them; weights become initializers under their parameter names.
/// </summary>
internal sealed class OnnxGraph(string name)
{
    /// <summary>The ONNX operator set the graphs use (LayerNormalization needs 17).</summary>
    public const int Opset = 17;

    // ONNX's TensorProto.DataType values.
    public const int FloatType = 1, Int8Type = 3, Int64Type = 7, BoolType = 9;

    private readonly List<ProtoWriter> _nodes = [], _initializers = [], _inputs = [], _outputs = [];
    private readonly HashSet<string> _constants = [];
    private int _values;

    /// <summary>A graph input of element type <paramref name="type"/>; each dimension a number or a symbolic name.</summary>
    public string Input(string value, int type, params object[] dims)
    {
        _inputs.Add(ValueInfo(value, type, dims));
        return value;
    }

    /// <summary>Names <paramref name="value"/> as a graph output (through an Identity node when it must be renamed).</summary>
    public void Output(string value, string outputName, int type, params object[] dims)
    {
        if (value != outputName) Node("Identity", [value], outputName);
        _outputs.Add(ValueInfo(outputName, type, dims));
    }

    /// <summary>A float32 initializer holding <paramref name="values"/> (contiguous) under <paramref name="value"/>.</summary>
    public string Weight(string value, Tensor values) => _constants.Contains(value) ? value   // a shared weight is stored once
        : Initializer(value, FloatType, [.. values.Shape.ToArray().Select(d => (long)d)],
            MemoryMarshal.AsBytes(values.Contiguous().ToArray().AsSpan()).ToArray());

    /// <summary>An int8 initializer of shape <paramref name="dims"/> holding <paramref name="values"/> (row-major).</summary>
    public string Int8Weight(string value, sbyte[] values, params long[] dims) =>
        Initializer(value, Int8Type, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A float32 initializer [rows, columns] holding <paramref name="values"/> (row-major).</summary>
    public string Matrix(string value, float[] values, int rows, int columns) =>
        Initializer(value, FloatType, [rows, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A float32 vector initializer.</summary>
    public string FloatVector(string value, ReadOnlySpan<float> values) =>
        Initializer(value, FloatType, [values.Length], MemoryMarshal.AsBytes(values).ToArray());

    private string Initializer(string value, int type, long[] dims, byte[] raw)
    {
        if (_constants.Add(value))
            _initializers.Add(new ProtoWriter().PackedInt64(1, dims).Varint(2, type).String(8, value).Bytes(9, raw));
        return value;
    }

    /// <summary>A constant int64 vector.</summary>
    public string Int64s(params long[] values) =>
        Initializer($"i64[{string.Join(",", values)}]", Int64Type, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A constant int64 scalar (a 0-D tensor, as Trilu's k).</summary>
    public string Int64Scalar(long x)
    {
        string value = $"i64({x})";
        if (_constants.Add(value))
            _initializers.Add(new ProtoWriter().Varint(2, Int64Type).String(8, value).Bytes(9, BitConverter.GetBytes(x)));
        return value;
    }

    /// <summary>A constant float32 scalar.</summary>
    public string Scalar(float x)
    {
        string value = $"f32({BitConverter.SingleToInt32Bits(x):x8})";
        if (_constants.Add(value))
            _initializers.Add(new ProtoWriter().Varint(2, FloatType).String(8, value).Bytes(9, BitConverter.GetBytes(x)));
        return value;
    }

    /// <summary>A node of operator <paramref name="op"/> with one output, named by the graph unless given; returns it.</summary>
    public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
    {
        output ??= $"v{++_values}";
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(1, input);
        node.String(2, output).String(4, op);
        foreach (var (attribute, v) in attributes) node.Message(5, Attribute(attribute, v));
        _nodes.Add(node);
        return output;
    }

    /// <summary>The model: IR version 8, opset <see cref="Opset"/>, this graph.</summary>
    public byte[] ToModel(string producerVersion)
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes) graph.Message(1, node);
        graph.String(2, name);
        foreach (var tensor in _initializers) graph.Message(5, tensor);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);
        return new ProtoWriter().Varint(1, 8).String(2, "Sharpformer").String(3, producerVersion).Message(7, graph)
            .Message(8, new ProtoWriter().Varint(2, Opset)).ToArray();
    }

    private static ProtoWriter Attribute(string attribute, object value)
    {
        var a = new ProtoWriter().String(1, attribute);
        return value switch
        {
            float f => a.Float(2, f).Varint(20, 1),
            int i => a.Varint(3, i).Varint(20, 2),
            long[] ints => a.PackedInt64(8, ints).Varint(20, 7),
            _ => throw new ArgumentException($"OnnxGraph: attribute {attribute} of type {value.GetType().Name} is not supported"),
        };
    }

    private static ProtoWriter ValueInfo(string value, int type, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
            shape.Message(1, d is string symbol ? new ProtoWriter().String(2, symbol) : new ProtoWriter().Varint(1, Convert.ToInt64(d)));
        var tensorType = new ProtoWriter().Varint(1, type).Message(2, shape);
        return new ProtoWriter().String(1, value).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
