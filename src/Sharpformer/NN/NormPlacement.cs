namespace Sharpformer.NN;

/// <summary>Where a Transformer layer normalizes relative to its residual connections.</summary>
public enum NormPlacement
{
    /// <summary>x = norm(x + sublayer(x)), as the paper (PyTorch's norm_first=false).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("post")]
    Post,

    /// <summary>x = x + sublayer(norm(x)), which trains more stably in deep stacks (norm_first=true).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("pre")]
    Pre,
}
