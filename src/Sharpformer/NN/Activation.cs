using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>The nonlinearity of a feed-forward block.</summary>
public enum ActivationKind
{
    /// <summary>max(x, 0), as the paper.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("relu")]
    Relu,

    /// <summary>GELU with the exact error function.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("gelu")]
    Gelu,
}

/// <summary>ReLU as a module.</summary>
public sealed class Relu : Module
{
    /// <summary>max(x, 0).</summary>
    public static Tensor Forward(Tensor x) => x.Relu();
}

/// <summary>GELU as a module.</summary>
public sealed class Gelu(GeluApproximation approximation = GeluApproximation.None) : Module
{
    /// <summary>x·Φ(x) (or its tanh approximation).</summary>
    public Tensor Forward(Tensor x) => x.Gelu(approximation);
}
