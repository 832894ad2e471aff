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

    /// <summary>Input width (this rank's share of it in a layer split by inputs).</summary>
    public int InFeatures { get; private set; }

    /// <summary>Output width (this rank's share of it in a layer split by outputs).</summary>
    public int OutFeatures { get; private set; }

    /// <summary>The group of ranks this layer is split over (<see cref="SequenceModel.SplitAcross"/>), or null.</summary>
    public TensorParallel? Split { get; private set; }

    private bool _splitInputs, _gatherOutputs;
    private int _wholeOutputs;

    /// <summary>W: [out, in] (this rank's rows or columns of it in a split layer).</summary>
    /// <exception cref="InvalidOperationException">The layer holds int8 weights (see <see cref="Int8Weight"/>).</exception>
    public Tensor Weight => _weight ?? throw Quantized("Linear");

    /// <summary>W as int8 with a scale per row in a quantized model, else null.</summary>
    public QuantizedMatrix? Int8Weight { get; private set; }

    /// <summary>b: [out], or null without bias.</summary>
    public Tensor? Bias { get; private set; }

    /// <summary>The low-rank adapter beside the (then frozen) weight, or null (<see cref="SequenceModel.AddLora"/>).</summary>
    public LoraAdapter? Lora { get; private set; }

    /// <summary>
    /// x: [..., in] → [..., out] (plus the adapter's update when there is one). Split by outputs, x is the whole input and
    /// the result this rank's outputs; split by inputs, x is this rank's share of the input and the result the whole
    /// output, summed over the ranks before the bias is added.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        if (Split is { } group)
        {
            if (_splitInputs) return group.Exit(Checked(x).Linear(Weight, null)) + Bias!;
            var y = Checked(group.Enter(x)).Linear(Weight, Bias);
            return _gatherOutputs ? group.GatherLastDim(y, _wholeOutputs) : y;
        }
        if (Int8Weight is { } q) return Checked(x).LinearInt8([q], Bias, relu: false);
        return Lora is null ? Checked(x).Linear(Weight, Bias)
            : Checked(x).LinearLowRank(Weight, Bias, Lora.Down(x), Lora.B.Weight, relu: false);   // x·Wᵀ + b + u·Bᵀ, one output
    }

    /// <summary>max(0, <see cref="Forward"/>(x)) as one fused op (<see cref="Tensor.LinearRelu"/>).</summary>
    public Tensor ForwardRelu(Tensor x)
    {
        if (Split is { } group)
            return _splitInputs || _gatherOutputs ? Forward(x).Relu() : Checked(group.Enter(x)).LinearRelu(Weight, Bias);
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

    /// <summary>
    /// Keeps this rank's share of the outputs (Megatron's column-parallel layer): W's rows and b's entries for outputs
    /// [r·out/N, (r + 1)·out/N). With <paramref name="gather"/> the ranks' outputs are joined whole after the product (the
    /// output layer's logits, split by vocabulary); otherwise each rank goes on with its share.
    /// </summary>
    internal void SplitOutputs(TensorParallel group, bool gather = false)
    {
        RequireSplittable(group, OutFeatures, "outputs", evenly: !gather);
        _weight = ReplaceParameter("weight", group.Split(Weight, dim: 0));
        if (Bias is not null) Bias = ReplaceParameter("bias", group.Split(Bias, dim: 0));
        (_wholeOutputs, OutFeatures, Split, _gatherOutputs) = (OutFeatures, group.ShareOf(OutFeatures).Count, group, gather);
    }

    /// <summary>The outputs [From, From + Count) of the whole layer this rank computes, and the whole layer's outputs.</summary>
    internal (int From, int Count, int Whole) OutputShare => Split is { } group && !_splitInputs
        ? (group.ShareOf(_wholeOutputs).From, OutFeatures, _wholeOutputs)
        : (0, OutFeatures, OutFeatures);

    /// <summary>
    /// Keeps this rank's share of the inputs (Megatron's row-parallel layer): W's columns for inputs [r·in/N, (r + 1)·in/N);
    /// the bias stays whole and is added once, after the sum over the ranks.
    /// </summary>
    internal void SplitInputs(TensorParallel group)
    {
        RequireSplittable(group, InFeatures, "inputs", evenly: true);
        if (Bias is null)
            throw new InvalidOperationException("Linear: a layer split by inputs needs its bias (every layer of the model has one)");
        _weight = ReplaceParameter("weight", group.Split(Weight, dim: 1));
        (InFeatures, Split, _splitInputs) = (InFeatures / group.Size, group, true);
    }

    private void RequireSplittable(TensorParallel group, int width, string what, bool evenly)
    {
        if (Split is not null) throw new InvalidOperationException("Linear: the layer is split already");
        if (Lora is not null || _weight is null)
            throw new InvalidOperationException("Linear: only a float32 layer without an adapter can be split over ranks");
        if ((evenly && width % group.Size != 0) || width < group.Size)
            throw new ArgumentException($"Linear: {width} {what} do not split {(evenly ? "evenly " : "")}over {group.Size} ranks");
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
