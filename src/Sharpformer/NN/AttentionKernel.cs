namespace Sharpformer.NN;

/// <summary>Which op computes attention in <see cref="ScaledDotProductAttention"/> when no weights are asked for.</summary>
public enum AttentionKernel
{
    /// <summary>
    /// The tiled op above <see cref="ScaledDotProductAttention.ShortKeys"/> keys, the stored one up to it:
    /// with one tile of keys the probabilities are small, and recomputing them costs more than keeping them.
    /// </summary>
    Auto,

    /// <summary>Tiles with an online softmax (<see cref="Tensors.Tensor.FlashAttention"/>): memory linear in the length.</summary>
    Flash,

    /// <summary>The op that stores the [T, S] probabilities (<see cref="Tensors.Tensor.Attention"/>): the reference.</summary>
    Reference,
}
