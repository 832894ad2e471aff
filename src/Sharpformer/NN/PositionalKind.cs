namespace Sharpformer.NN;

/// <summary>How a model knows where each token is.</summary>
public enum PositionalKind
{
    /// <summary>The paper's sinusoids added to the embeddings.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("sinusoidal")]
    Sinusoidal,

    /// <summary>
    /// Rotary embeddings (RoPE): queries and keys of every self-attention are rotated by their position
    /// (<see cref="Tensors.Tensor.Rope"/>), so scores depend on the distance between tokens; nothing is added.
    /// </summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("rope")]
    Rope,
}
