using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// Which query–key pairs attention may not use: a causal rule (query i sees keys 0…i) and/or an additive
/// bias (0 where allowed, −∞ where blocked, or any float) broadcastable to the scores
/// [B, heads, T_query, T_key]. The causal part stays a flag, so tiled attention can skip the blocked
/// tiles instead of adding −∞ to them; <see cref="Additive"/> gives the whole mask as one tensor.
/// </summary>
public sealed class AttentionMask
{
    private Tensor? _additive;

    private AttentionMask(int? causalLength, Tensor? bias) => (CausalLength, Bias) = (causalLength, bias);

    /// <summary>The length of the causal rule, or null when the mask has none.</summary>
    public int? CausalLength { get; }

    /// <summary>Whether query i may see only keys 0…i.</summary>
    public bool IsCausal => CausalLength is not null;

    /// <summary>The additive part besides the causal rule (null when there is none).</summary>
    public Tensor? Bias { get; }

    /// <summary>The whole mask in additive form, added to the attention scores before softmax.</summary>
    public Tensor Additive => _additive ??= CausalLength is int length
        ? (Bias is null ? CausalTable(length) : CausalTable(length) + Bias)
        : Bias!;

    /// <summary>A float mask added to the scores as it is (as PyTorch's float attn_mask).</summary>
    public static AttentionMask FromAdditive(Tensor additive) => new(null, additive.Detach());

    /// <summary>A boolean mask: non-zero means "blocked" (as PyTorch's bool attn_mask and key_padding_mask).</summary>
    public static AttentionMask FromBoolean(Tensor blocked) =>
        new(null, Tensor.Where(blocked.Detach(), Tensor.Scalar(float.NegativeInfinity), Tensor.Scalar(0f)));

    /// <summary>The look-ahead mask for a decoder: position i may attend to positions ≤ i. Shape [T, T].</summary>
    public static AttentionMask Causal(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new(length, null);
    }

    /// <summary>Blocks keys that are padding: ids [B, S] → a mask of shape [B, 1, 1, S].</summary>
    public static AttentionMask KeyPadding(Tensor ids, int padId)
    {
        if (ids.Rank != 2)
            throw new ShapeMismatchException($"KeyPadding: token ids must be [batch, length], got {Shapes.Format(ids.Shape)}");
        var values = ids.ToArray();
        var blocked = Array.ConvertAll(values, v => v == padId ? 1f : 0f);
        return FromBoolean(Tensor.FromArray(blocked, ids.Size(0), 1, 1, ids.Size(1)));
    }

    /// <summary>Both masks at once (either may be null).</summary>
    public static AttentionMask? Combine(AttentionMask? a, AttentionMask? b)
    {
        if (a is null || b is null) return a ?? b;
        if (a.CausalLength is int x && b.CausalLength is int y && x != y)
            throw new ShapeMismatchException($"AttentionMask: causal masks of lengths {x} and {y} do not combine");
        var bias = a.Bias is null ? b.Bias : b.Bias is null ? a.Bias : a.Bias + b.Bias;
        return new(a.CausalLength ?? b.CausalLength, bias);
    }

    // [T, T]: 0 on and below the diagonal, −∞ above it.
    private static Tensor CausalTable(int length)
    {
        var table = new float[length * length];
        for (int i = 0; i < length; i++)
            for (int j = i + 1; j < length; j++) table[i * length + j] = float.NegativeInfinity;
        return Tensor.FromArray(table, length, length);
    }
}
