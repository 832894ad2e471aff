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

    /// <summary>x: [B, T, d_model] → [B, T, d_model].</summary>
    public Tensor Forward(Tensor x)
    {
        var h = Activation == ActivationKind.Relu ? Linear1.ForwardRelu(x) : Linear1.Forward(x).Gelu();
        return Linear2.Forward(_dropout.Forward(h));
    }
}
