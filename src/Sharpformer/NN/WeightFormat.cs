namespace Sharpformer.NN;

/// <summary>How a model stores its weight matrices (Linear layers, attention projections, embeddings).</summary>
public enum WeightFormat
{
    /// <summary>float32: trainable.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("float32")]
    Float32,

    /// <summary>
    /// int8 with a float32 scale per output row (<see cref="Tensors.QuantizedMatrix"/>), for inference: a quarter
    /// of the bytes. Biases and layer norms stay float32.
    /// </summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("int8")]
    Int8,
}
