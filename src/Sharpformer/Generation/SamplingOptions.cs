namespace Sharpformer.Generation;

/// <summary>
/// How to sample the next token: logits are divided by <see cref="Temperature"/> (0 means take the most
/// likely token), then only the <see cref="TopK"/> most likely tokens are kept (0: all), then only the
/// smallest set whose probability reaches <see cref="TopP"/> (1: all); the rest are renormalized.
/// </summary>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, float TopP = 1f)
{
    /// <summary>Throws a clear error for values that mean nothing.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), $"temperature {Temperature} must be 0 or more");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), $"top-k {TopK} must be 0 (off) or more");
        if (!(TopP > 0f && TopP <= 1f)) throw new ArgumentOutOfRangeException(nameof(TopP), $"top-p {TopP} must be in (0, 1]");
    }
}
