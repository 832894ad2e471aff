using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Scaled dot-product attention in tiles (FlashAttention-2): the result of <see cref="Attention"/>
    /// without ever storing the [T, S] scores, so memory grows linearly with the sequence. q: [B, H, T, d],
    /// k: [B, H, S, d], v: [B, H, S, dv] → [B, H, T, dv] (B, or B and H, may be left out). With
    /// <paramref name="causal"/> (T = S) query i sees keys 0…i and the tiles above the diagonal are skipped;
    /// <paramref name="mask"/> is an additive mask broadcast to the scores, as for <see cref="Attention"/>.
    /// Only the per-row log-sum-exp is saved; the backward pass recomputes the probabilities tile by tile.
    /// Dropout draws the same key from <paramref name="rng"/> and drops the same elements as
    /// <see cref="Attention"/>.
    /// </summary>
    public static Tensor FlashAttention(Tensor query, Tensor key, Tensor value, Tensor? mask = null, bool causal = false,
        float dropout = 0f, Rng? rng = null)
    {
        var (q, k, v) = AttentionOperands(query, key, value, mask, dropout, rng);
        int rank = query.Rank;
        var (q4, k4, v4) = (q.AsRank4(), k.AsRank4(), v.AsRank4());
        int b = q4._shape[0], h = q4._shape[1], t = q4._shape[2], s = k4._shape[2], d = q4._shape[3], dv = v4._shape[3];
        if (causal && t != s)
            throw new ShapeMismatchException($"FlashAttention: causal attention needs as many queries as keys, got {t} and {s}");

        var output = AllocateHeads(b, h, t, dv, headsInner: true);
        var logSumExp = Allocate([b, h, t], zeroed: false);                          // L: [B, H, T]
        float scale = 1f / MathF.Sqrt(d), p = dropout;
        ulong dropKey = p > 0f ? rng!.NextUInt64() : 0;
        int[] maskStrides = mask?.BroadcastStrides([b, h, t, s]) ?? new int[4];
        unsafe
        {
            fixed (float* pq = q4.Storage, pk = k4.Storage, pv = v4.Storage, pm = mask?.Storage, pl = logSumExp.Storage,
                   po = output.Storage)
            {
                var problem = FlashProblem(q4, k4, v4, pq, pk, pv, pm, mask, maskStrides, scale, p, dropKey)
                    with { Out = Heads(po, output) };
                Kernels.FlashAttention.Forward(problem, causal, pl);
            }
        }
        return Record(output.FromRank4(rank), "FlashAttention", [q, k, v], g =>
        {
            var g4 = g.WithUnitColumnStride().AsRank4();
            var dQuery = q.RequiresGrad ? AllocateHeads(b, h, t, d, q4.HeadsInner) : null;
            var dKey = k.RequiresGrad ? AllocateHeads(b, h, s, d, k4.HeadsInner) : null;
            var dValue = v.RequiresGrad ? AllocateHeads(b, h, s, dv, v4.HeadsInner) : null;
            unsafe
            {
                fixed (float* pq = q4.Storage, pk = k4.Storage, pv = v4.Storage, pm = mask?.Storage, pl = logSumExp.Storage,
                       po = output.Storage, pg = g4.Storage, pdq = dQuery?.Storage, pdk = dKey?.Storage, pdv = dValue?.Storage)
                {
                    var problem = FlashProblem(q4, k4, v4, pq, pk, pv, pm, mask, maskStrides, scale, p, dropKey);
                    Kernels.FlashAttention.Backward(problem, causal, pl, Heads(po, output), Heads(pg, g4),
                        Heads(pdq, dQuery), Heads(pdk, dKey), Heads(pdv, dValue));
                }
            }
            return [dQuery?.FromRank4(rank), dKey?.FromRank4(rank), dValue?.FromRank4(rank)];
        });
    }

    /// <summary>
    /// Bytes <see cref="FlashAttention"/> holds besides its inputs and output for <paramref name="t"/> queries (and keys) of
    /// <paramref name="batch"/> × <paramref name="heads"/> pairs with queries, keys and values of
    /// <paramref name="headSize"/>: the saved log-sum-exp and each thread's tiles.
    /// </summary>
    public static long FlashAttentionBytes(int batch, int heads, int t, int headSize, int threads) =>
        sizeof(float) * ((long)batch * heads * t + threads * Kernels.FlashAttention.ScratchPerThread(headSize, headSize, t, t));

    /// <summary>
    /// Bytes <see cref="Attention"/> holds besides its inputs and output: the saved probabilities [B, H, T, S]
    /// and each thread's backward scratch.
    /// </summary>
    public static long AttentionBytes(int batch, int heads, int t, int s, bool dropout, int threads) =>
        sizeof(float) * ((long)batch * heads * t * s + threads * Kernels.Attention.ScratchPerThread(t, s, dropout));

    private static unsafe AttentionProblem FlashProblem(Tensor q4, Tensor k4, Tensor v4, float* pq, float* pk, float* pv, float* pm,
        Tensor? mask, int[] maskStrides, float scale, float p, ulong dropKey) => new()
    {
        Batch = q4._shape[0], Heads = q4._shape[1], T = q4._shape[2], S = k4._shape[2], D = q4._shape[3], Dv = v4._shape[3],
        Scale = scale, DropP = p, DropKey = dropKey,
        Q = Heads(pq, q4), K = Heads(pk, k4), V = Heads(pv, v4), Out = default,
        Mask = new ScoreMask(pm == null ? null : pm + mask!.Offset, maskStrides[0], maskStrides[1], maskStrides[2], maskStrides[3]),
        Probs = null,
    };
}
