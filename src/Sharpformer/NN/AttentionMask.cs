using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// Which query–key pairs attention may not use, held as an additive mask (0 where allowed, −∞ where
/// blocked, or any float bias) broadcastable to the scores [B, heads, T_query, T_key].
/// </summary>
public sealed class AttentionMask
{
    private AttentionMask(Tensor additive) => Additive = additive;

    /// <summary>The additive form, added to the attention scores before softmax.</summary>
    public Tensor Additive { get; }

    /// <summary>A float mask added to the scores as it is (as PyTorch's float attn_mask).</summary>
    public static AttentionMask FromAdditive(Tensor additive) => new(additive.Detach());

    /// <summary>A boolean mask: non-zero means "blocked" (as PyTorch's bool attn_mask and key_padding_mask).</summary>
    public static AttentionMask FromBoolean(Tensor blocked) =>
        new(Tensor.Where(blocked.Detach(), Tensor.Scalar(float.NegativeInfinity), Tensor.Scalar(0f)));

    /// <summary>The look-ahead mask for a decoder: position i may attend to positions ≤ i. Shape [T, T].</summary>
    public static AttentionMask Causal(int length)
    {
        var blocked = new float[length * length];
        for (int i = 0; i < length; i++)
            for (int j = i + 1; j < length; j++) blocked[i * length + j] = 1;
        return FromBoolean(Tensor.FromArray(blocked, length, length));
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
    public static AttentionMask? Combine(AttentionMask? a, AttentionMask? b) =>
        a is null ? b : b is null ? a : new AttentionMask(a.Additive + b.Additive);
}
