using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>y = x·Wᵀ + b, as torch.nn.Linear: weight [out, in], bias [out].</summary>
public sealed class Linear : Module
{
    /// <summary>A linear layer with PyTorch's default initialization, or sharing an existing <paramref name="weight"/> (tying).</summary>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true, Tensor? weight = null)
    {
        if (weight is not null && !weight.Shape.SequenceEqual([outFeatures, inFeatures]))
            throw new ShapeMismatchException(
                $"Linear: a shared weight must have shape [{outFeatures}, {inFeatures}], got {Shapes.Format(weight.Shape)}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", weight ?? Tensor.Zeros(outFeatures, inFeatures));
        if (weight is null) Init.LinearDefault(Weight, rng, inFeatures);
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
    public Tensor Weight { get; }

    /// <summary>b: [out], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>x: [..., in] → [..., out].</summary>
    public Tensor Forward(Tensor x) => Checked(x).Linear(Weight, Bias);

    /// <summary>max(0, <see cref="Forward"/>(x)) as one fused op (<see cref="Tensor.LinearRelu"/>).</summary>
    public Tensor ForwardRelu(Tensor x) => Checked(x).LinearRelu(Weight, Bias);

    private Tensor Checked(Tensor x) => x.Rank > 0 && x.Size(-1) == InFeatures ? x
        : throw new ShapeMismatchException($"Linear: input shape {Shapes.Format(x.Shape)} does not end in {InFeatures} features");
}
