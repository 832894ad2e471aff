namespace Sharpformer.Tensors;

/// <summary>The number format a training step computes in.</summary>
public enum Precision
{
    /// <summary>float32 throughout.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("fp32")]
    Float32,

    /// <summary>
    /// Mixed precision: float32 master weights, optimizer state and accumulation; bfloat16 working copies of
    /// the weight matrices and bfloat16 storage for the activations kept for the backward pass.
    /// </summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("bf16")]
    BFloat16,
}
