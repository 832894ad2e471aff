using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// y = x·Wᵀ + b, as torch.nn.Linear: weight [out, in], bias [out]. In a quantized model W is int8 with a scale
/// per output row (<see cref="Int8Weight"/>) and the layer runs at inference only.
/// </summary>
public sealed class Linear : Module
{
    private Tensor? _weight;

    /// <summary>A linear layer with PyTorch's default initialization, or sharing an existing <paramref name="weight"/> (tying).</summary>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true, Tensor? weight = null)
    {
        if (weight is not null && !weight.Shape.SequenceEqual([outFeatures, inFeatures]))
            throw new ShapeMismatchException(
                $"Linear: a shared weight must have shape [{outFeatures}, {inFeatures}], got {Shapes.Format(weight.Shape)}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = RegisterParameter("weight", weight ?? Tensor.Zeros(outFeatures, inFeatures));
        if (weight is null) Init.LinearDefault(_weight, rng, inFeatures);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
            Init.LinearDefault(Bias, rng, inFeatures);
        }
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>W: [out, in].</summary>
    /// <exception cref="InvalidOperationException">The layer holds int8 weights (see <see cref="Int8Weight"/>).</exception>
    public Tensor Weight => _weight ?? throw Quantized("Linear");

    /// <summary>W as int8 with a scale per row in a quantized model, else null.</summary>
    public QuantizedMatrix? Int8Weight { get; private set; }

    /// <summary>b: [out], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>x: [..., in] → [..., out].</summary>
    public Tensor Forward(Tensor x) =>
        Int8Weight is { } q ? Checked(x).LinearInt8([q], Bias, relu: false) : Checked(x).Linear(Weight, Bias);

    /// <summary>max(0, <see cref="Forward"/>(x)) as one fused op (<see cref="Tensor.LinearRelu"/>).</summary>
    public Tensor ForwardRelu(Tensor x) =>
        Int8Weight is { } q ? Checked(x).LinearInt8([q], Bias, relu: true) : Checked(x).LinearRelu(Weight, Bias);

    internal override void QuantizeOwnWeights(Func<Tensor, QuantizedMatrix> quantize)
    {
        if (_weight is null) return;
        Int8Weight = quantize(_weight);
        ReplaceWithInt8("weight", Int8Weight);
        _weight = null;
    }

    /// <summary>The error for reading the float weights of a layer that holds int8 ones.</summary>
    internal static InvalidOperationException Quantized(string layer) =>
        new($"{layer}: the weights are int8 (a quantized model, for inference only); there is no float weight tensor");

    private Tensor Checked(Tensor x) => x.Rank > 0 && x.Size(-1) == InFeatures ? x
        : throw new ShapeMismatchException($"Linear: input shape {Shapes.Format(x.Shape)} does not end in {InFeatures} features");
}
