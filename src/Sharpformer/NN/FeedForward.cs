using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// The position-wise feed-forward network: linear2(dropout(activation(linear1(x)))), applied to each
/// position independently; d_model → d_ff → d_model.
/// </summary>
public sealed class FeedForward : Module
{
    private readonly Dropout _dropout;

    /// <summary>A block widening to <paramref name="dFF"/> and back.</summary>
    public FeedForward(int dModel, int dFF, ActivationKind activation, float dropout, Rng rng)
    {
        Activation = activation;
        Linear1 = RegisterModule("linear1", new Linear(dModel, dFF, rng));
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
        Linear2 = RegisterModule("linear2", new Linear(dFF, dModel, rng));
    }

    /// <summary>The nonlinearity between the two layers.</summary>
    public ActivationKind Activation { get; }

    /// <summary>d_model → d_ff.</summary>
    public Linear Linear1 { get; }

    /// <summary>d_ff → d_model.</summary>
    public Linear Linear2 { get; }

    /// <summary>
    /// This rank's share of the hidden units: linear1 split by outputs, linear2 by inputs, and the dropout between them
    /// keyed for this rank (<see cref="SequenceModel.SplitAcross"/>).
    /// </summary>
    internal void SplitAcross(TensorParallel group)
    {
        if (Linear1.OutFeatures % group.Size != 0)
            throw new ArgumentException(
                $"tensor parallelism splits the feed-forward units: {Linear1.OutFeatures} do not divide by {group.Size} ranks");
        Linear1.SplitOutputs(group);
        Linear2.SplitInputs(group);
        _dropout.KeySalt = group.DropoutSalt;
    }

    /// <summary>x: [B, T, d_model] → [B, T, d_model].</summary>
    public Tensor Forward(Tensor x)
    {
        var h = Activation == ActivationKind.Relu ? Linear1.ForwardRelu(x) : Linear1.Forward(x).Gelu();
        return Linear2.Forward(_dropout.Forward(h));
    }
}
