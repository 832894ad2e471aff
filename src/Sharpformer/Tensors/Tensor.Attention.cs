using Sharpformer.Autograd;
using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Scaled dot-product attention as one op: softmax(q·kᵀ/√d + mask), dropped out with probability
    /// <paramref name="dropout"/>, times v. q: [B, H, T, d], k: [B, H, S, d], v: [B, H, S, dv] →
    /// [B, H, T, dv] (also without B, or without B and H), stored so that <c>Transpose(1, 2)</c> of the
    /// 4-D result is a contiguous [B, T, H, dv]. The additive <paramref name="mask"/> broadcasts to the
    /// scores [B, H, T, S] and gets no gradient; a row it blocks entirely gives NaN, as in torch. Dropout
    /// draws one key from <paramref name="rng"/> and the backward pass regenerates the mask from it. On
    /// request the weights (the softmax before dropout, [B, H, T, S]) come back too, cut from the graph.
    /// </summary>
    public static (Tensor Output, Tensor? Weights) Attention(Tensor query, Tensor key, Tensor value, Tensor? mask = null,
        float dropout = 0f, Rng? rng = null, bool returnWeights = false)
    {
        var (q, k, v) = AttentionOperands(query, key, value, mask, dropout, rng);
        int rank = query.Rank;
        var (q4, k4, v4) = (q.AsRank4(), k.AsRank4(), v.AsRank4());
        int b = q4._shape[0], h = q4._shape[1], t = q4._shape[2], s = k4._shape[2], d = q4._shape[3], dv = v4._shape[3];

        bool recorded = GradMode.IsEnabled && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad);
        var probs = recorded || returnWeights ? Allocate([b, h, t, s], zeroed: false) : null;   // P: [B, H, T, S]
        var output = AllocateHeads(b, h, t, dv, headsInner: true);
        float scale = 1f / MathF.Sqrt(d), p = dropout;
        ulong dropKey = p > 0f ? rng!.NextUInt64() : 0;
        int[] maskStrides = mask?.BroadcastStrides([b, h, t, s]) ?? new int[4];
        unsafe
        {
            fixed (float* pq = q4.Storage, pk = k4.Storage, pv = v4.Storage, pm = mask?.Storage, pp = probs?.Storage, po = output.Storage)
            {
                var problem = new AttentionProblem
                {
                    Batch = b, Heads = h, T = t, S = s, D = d, Dv = dv, Scale = scale, DropP = p, DropKey = dropKey,
                    Q = Heads(pq, q4), K = Heads(pk, k4), V = Heads(pv, v4), Out = Heads(po, output),
                    Mask = new ScoreMask(pm == null ? null : pm + mask!.Offset,
                        maskStrides[0], maskStrides[1], maskStrides[2], maskStrides[3]),
                    Probs = pp,
                };
                Kernels.Attention.Forward(problem);
            }
        }
        var result = Record(output.FromRank4(rank), "Attention", [q, k, v], g =>
        {
            var grads = AttentionBackward(g.WithUnitColumnStride().AsRank4(), q4, k4, v4, probs!, scale, p, dropKey,
                q.RequiresGrad, k.RequiresGrad, v.RequiresGrad);
            return [grads[0]?.FromRank4(rank), grads[1]?.FromRank4(rank), grads[2]?.FromRank4(rank)];
        });
        return (result, returnWeights ? probs!.FromRank4(rank) : null);
    }

    // The checked operands of an attention op, each read with unit column stride.
    private static (Tensor Q, Tensor K, Tensor V) AttentionOperands(Tensor query, Tensor key, Tensor value, Tensor? mask, float dropout,
        Rng? rng)
    {
        int rank = query.Rank;
        if (rank is < 2 or > 4 || key.Rank != rank || value.Rank != rank || key._shape[^1] != query._shape[^1]
            || !key._shape.AsSpan(0, rank - 2).SequenceEqual(query._shape.AsSpan(0, rank - 2))
            || !value._shape.AsSpan(0, rank - 1).SequenceEqual(key._shape.AsSpan(0, rank - 1)))
            throw new ShapeMismatchException(
                $"Attention: expected q [B, H, T, d], k [B, H, S, d], v [B, H, S, dv] (B and H optional), " +
                $"got {Shapes.Format(query._shape)}, {Shapes.Format(key._shape)}, {Shapes.Format(value._shape)}");
        if (!(dropout >= 0f && dropout < 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), $"Attention: dropout probability {dropout} must be in [0, 1)");
        if (dropout > 0f) ArgumentNullException.ThrowIfNull(rng);
        var q = query.WithUnitColumnStride();
        var k = key.WithUnitColumnStride();
        var v = value.WithUnitColumnStride();
        int t = query._shape[^2], s = key._shape[^2];
        if (s == 0 && t > 0) throw new ShapeMismatchException($"Attention: {t} queries have no keys to attend to");
        int[] scoresShape = [.. q._shape[..^1], s];
        if (mask is not null
            && (mask.Rank > rank || !Shapes.Broadcast(mask._shape, scoresShape, "Attention").AsSpan().SequenceEqual(scoresShape)))
            throw new ShapeMismatchException(
                $"Attention: mask {Shapes.Format(mask._shape)} does not broadcast to the scores {Shapes.Format(scoresShape)}");
        return (q, k, v);
    }

    // dQ, dK, dV of Attention (those asked for) from the output gradient g: [B, H, T, dv] and the saved softmax P: [B, H, T, S]
    private static Tensor?[] AttentionBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor probs, float scale, float p, ulong dropKey,
        bool needQuery, bool needKey, bool needValue)
    {
        int b = q._shape[0], h = q._shape[1], t = q._shape[2], s = k._shape[2], d = q._shape[3], dv = v._shape[3];
        var dQuery = needQuery ? AllocateHeads(b, h, t, d, q.HeadsInner) : null;
        var dKey = needKey ? AllocateHeads(b, h, s, d, k.HeadsInner) : null;
        var dValue = needValue ? AllocateHeads(b, h, s, dv, v.HeadsInner) : null;
        unsafe
        {
            fixed (float* pq = q.Storage, pk = k.Storage, pv = v.Storage, pp = probs.Storage, pg = g.Storage,
                   pdq = dQuery?.Storage, pdk = dKey?.Storage, pdv = dValue?.Storage)
            {
                var problem = new AttentionProblem
                {
                    Batch = b, Heads = h, T = t, S = s, D = d, Dv = dv, Scale = scale, DropP = p, DropKey = dropKey,
                    Q = Heads(pq, q), K = Heads(pk, k), V = Heads(pv, v), Out = default, Mask = default, Probs = pp,
                };
                Kernels.Attention.Backward(problem, Heads(pg, g), Heads(pdq, dQuery), Heads(pdk, dKey), Heads(pdv, dValue));
            }
        }
        return [dQuery, dKey, dValue];
    }

    // [T, n] or [H, T, n] as [1, 1, T, n] or [1, H, T, n] (a view, not recorded).
    private Tensor AsRank4()
    {
        if (Rank == 4) return this;
        int lead = 4 - Rank;
        return new Tensor(_storage, Offset, [.. Enumerable.Repeat(1, lead), .. _shape], [.. new int[lead], .. _strides]);
    }

    // A [1, 1, T, n] or [1, H, T, n] tensor back at the caller's rank (a view, not recorded).
    private Tensor FromRank4(int rank) =>
        rank == 4 ? this : new Tensor(_storage, Offset, _shape[(4 - rank)..], _strides[(4 - rank)..]);

    // A [B, H, L, n] tensor to be fully written. Heads inside positions: stored as [B, L, H, n], the layout
    // that splitting heads off a [B, L, H·n] projection gives, so merging them back is free.
    private static Tensor AllocateHeads(int b, int h, int l, int n, bool headsInner)
    {
        if (!headsInner) return Allocate([b, h, l, n], zeroed: false);
        var storage = Allocate([b, l, h, n], zeroed: false)._storage;
        return new Tensor(storage, 0, [b, h, l, n], [l * h * n, n, h * n, 1]);
    }

    // Whether a [B, H, L, n] tensor steps over heads faster than over positions.
    private bool HeadsInner => _strides[1] < _strides[2];

    // This tensor, or a contiguous copy when its last dimension is not read with stride 1.
    private Tensor WithUnitColumnStride() => _shape[^1] <= 1 || _strides[^1] == 1 ? this : Contiguous();

    // A [B, H, rows, cols] tensor as a kernel operand (null data when the tensor is absent).
    private static unsafe HeadMatrices Heads(float* storage, Tensor? x) =>
        x is null ? default : new HeadMatrices(storage + x.Offset, x._strides[0], x._strides[1], x._strides[2]);
}
