using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Inverted dropout with probability <see cref="P"/>, drawing from a seeded generator; the identity in evaluation mode.</summary>
public sealed class Dropout(float p, Rng rng) : Module
{
    /// <summary>Probability of zeroing an element.</summary>
    public float P { get; } = p is >= 0f and < 1f
        ? p
        : throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability {p} must be in [0, 1)");

    /// <summary>The generator the masks are keyed from (ops that fuse dropout draw from it too).</summary>
    internal Rng Rng { get; } = rng;

    /// <summary>x → x with elements dropped (training) or x unchanged (evaluation).</summary>
    public Tensor Forward(Tensor x) => IsTraining && P > 0 ? x.Dropout(P, Rng) : x;
}
