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

    /// <summary>The low-rank adapter beside the (then frozen) weight, or null (<see cref="SequenceModel.AddLora"/>).</summary>
    public LoraAdapter? Lora { get; private set; }

    /// <summary>x: [..., in] → [..., out] (plus the adapter's update when there is one).</summary>
    public Tensor Forward(Tensor x)
    {
        if (Int8Weight is { } q) return Checked(x).LinearInt8([q], Bias, relu: false);
        return Lora is null ? Checked(x).Linear(Weight, Bias)
            : Checked(x).LinearLowRank(Weight, Bias, Lora.Down(x), Lora.B.Weight, relu: false);   // x·Wᵀ + b + u·Bᵀ, one output
    }

    /// <summary>max(0, <see cref="Forward"/>(x)) as one fused op (<see cref="Tensor.LinearRelu"/>).</summary>
    public Tensor ForwardRelu(Tensor x)
    {
        if (Int8Weight is { } q) return Checked(x).LinearInt8([q], Bias, relu: true);
        return Lora is null ? Checked(x).LinearRelu(Weight, Bias)
            : Checked(x).LinearLowRank(Weight, Bias, Lora.Down(x), Lora.B.Weight, relu: true);
    }

    /// <summary>Adds a low-rank adapter; the layer's own weight and bias stop requiring grad.</summary>
    internal LoraAdapter AttachLora(int rank, float alpha, float dropout, Rng rng)
    {
        if (Lora is not null) throw new InvalidOperationException("Linear: the layer has an adapter already");
        if (_weight is null) throw Quantized("Linear");
        _weight.RequiresGrad = false;
        if (Bias is not null) Bias.RequiresGrad = false;
        Lora = RegisterModule("", new LoraAdapter(InFeatures, OutFeatures, rank, alpha, dropout, rng));
        return Lora;
    }

    /// <summary>W ← W + (α/r)·B·A, and the adapter is removed: the layer computes the same with one product.</summary>
    internal void MergeLora()
    {
        if (Lora is null) return;
        using (Autograd.GradMode.NoGrad()) Weight.CopyFrom(Weight + Lora.Delta());
        UnregisterModule(Lora);
        Lora = null;
    }

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

    internal Tensor Checked(Tensor x) => x.Rank > 0 && x.Size(-1) == InFeatures ? x
        : throw new ShapeMismatchException($"Linear: input shape {Shapes.Format(x.Shape)} does not end in {InFeatures} features");
}
