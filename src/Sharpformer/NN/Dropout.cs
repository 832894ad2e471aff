using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Inverted dropout with probability <see cref="P"/>, drawing from a seeded generator; the identity in evaluation mode.</summary>
public sealed class Dropout(float p, Rng rng) : Module
{
    /// <summary>Probability of zeroing an element.</summary>
    public float P { get; } = p is >= 0f and < 1f
        ? p
        : throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability {p} must be in [0, 1)");

    /// <summary>The generator the masks are keyed from.</summary>
    internal Rng Rng { get; } = rng;

    /// <summary>Mixed into every key in a block split over tensor-parallel ranks, so each rank drops its own units; 0 elsewhere.</summary>
    internal ulong KeySalt { get; set; }

    /// <summary>
    /// Where the op that applies this module's mask (dropout itself, or attention with dropout fused) draws its one key: the
    /// shared <see cref="Rng"/>, or with a <see cref="KeySalt"/> a generator seeded by the shared one's next number and the
    /// salt — the shared stream advances by one draw either way, so replicated blocks keep drawing the same masks on every rank.
    /// </summary>
    internal Rng KeySource => KeySalt == 0 ? Rng : new Rng(Rng.NextUInt64() ^ KeySalt);

    /// <summary>x → x with elements dropped (training) or x unchanged (evaluation).</summary>
    public Tensor Forward(Tensor x) => IsTraining && P > 0 ? x.Dropout(P, KeySource) : x;
}
