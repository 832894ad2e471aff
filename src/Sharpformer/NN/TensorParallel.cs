using System.Diagnostics;
using Sharpformer.Distributed;
using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// Tensor (model) parallelism as Megatron-LM splits a Transformer: each rank of a group holds a share of every
/// attention block's heads and of every feed-forward block's hidden units (<see cref="SequenceModel.SplitAcross"/>).
/// A block's first product is split by its outputs (each rank computes its heads or units from the whole input), its
/// last by its inputs (each rank's share gives a partial sum of the whole output), and one all-reduce joins the partial
/// sums: <see cref="Exit"/> in the forward pass, <see cref="Enter"/> — the same sum, for the input's gradient — in the
/// backward pass. The output projection is split by vocabulary unless it is tied to the embedding table. Embeddings,
/// layer norms and the biases added after a sum are replicated: every rank holds them whole and computes the same values
/// and gradients. This class also knows how each split
/// parameter maps onto the whole one, so that checkpoints are gathered whole and read back into shares.
/// </summary>
public sealed class TensorParallel
{
    private readonly Dictionary<Tensor, Layout> _layouts = new(ReferenceEqualityComparer.Instance);

    /// <summary>Tensor parallelism over the ranks of <paramref name="communicator"/>.</summary>
    public TensorParallel(ICommunicator communicator) => Communicator = communicator;

    /// <summary>The ranks that share the model.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>This rank.</summary>
    public int Rank => Communicator.Rank;

    /// <summary>The number of ranks the model is split over.</summary>
    public int Size => Communicator.Size;

    /// <summary>Time spent in the all-reduces of the forward and backward passes so far.</summary>
    public TimeSpan ReduceTime { get; private set; }

    /// <summary>Whether <paramref name="parameter"/> is this rank's share of a split parameter (else it is replicated).</summary>
    public bool IsSplit(Tensor parameter) => _layouts.ContainsKey(parameter);

    /// <summary>The shape of the whole parameter <paramref name="parameter"/> is a share of (its own shape if replicated).</summary>
    public int[] WholeShape(Tensor parameter) => _layouts.TryGetValue(parameter, out var layout) ? layout.Whole : parameter.ShapeArray();

    /// <summary>
    /// The whole parameter of which <paramref name="share"/> is this rank's share, on every rank (a collective call: every
    /// rank passes its share of the same parameter); a replicated parameter's values as they are.
    /// </summary>
    public float[] Gather(Tensor parameter, ReadOnlySpan<float> share)
    {
        if (!_layouts.TryGetValue(parameter, out var layout)) return share.ToArray();
        var whole = new float[Shapes.Count(layout.Whole)];
        layout.ToWhole(share, whole, Rank, Size);
        Communicator.AllReduceSum(whole);   // each element is one rank's value plus zeros: exact
        return whole;
    }

    /// <summary>
    /// This rank's share of <paramref name="whole"/>, the values of the whole of <paramref name="parameter"/>, into
    /// <paramref name="share"/>.
    /// </summary>
    public void Scatter(Tensor parameter, ReadOnlySpan<float> whole, Span<float> share)
    {
        if (!_layouts.TryGetValue(parameter, out var layout)) whole.CopyTo(share);
        else layout.ToShare(whole, share, Rank, Size);
    }

    /// <summary>The sum of <paramref name="values"/> over the ranks, on every rank (a collective call).</summary>
    public float[] Sum(params float[] values)
    {
        Reduce(values);
        return values;
    }

    /// <summary>
    /// The rows [From, From + Count) of <paramref name="length"/> this rank holds: length·r/N up to length·(r + 1)/N, so
    /// shares differ by at most one where the ranks do not divide the length.
    /// </summary>
    public (int From, int Count) ShareOf(int length)
    {
        int from = (int)((long)length * Rank / Size), to = (int)((long)length * (Rank + 1) / Size);
        return (from, to - from);
    }

    /// <summary>
    /// This rank's share of <paramref name="whole"/> split along <paramref name="dim"/>, which holds <paramref name="parts"/>
    /// equal blocks (3 for an attention in-projection's queries, keys and values) each split over the ranks
    /// (<see cref="ShareOf"/>).
    /// </summary>
    internal Tensor Split(Tensor whole, int dim, int parts = 1)
    {
        var wholeShape = whole.ShapeArray();
        if (wholeShape[dim] % parts != 0 || wholeShape[dim] / parts < Size)
            throw new ArgumentException(
                $"TensorParallel: dimension {dim} of {Shapes.Format(wholeShape)} does not split into {parts} × {Size}");
        var layout = new Layout(wholeShape, dim, parts);
        var shape = (int[])wholeShape.Clone();
        shape[dim] = parts * ShareOf(wholeShape[dim] / parts).Count;
        var share = Tensor.Zeros(shape);
        layout.ToShare(whole.Contiguous().AsSpan(), share.AsSpan(), Rank, Size);
        share.RequiresGrad = whole.RequiresGrad;
        _layouts[share] = layout;
        return share;
    }

    /// <summary>
    /// Where a block split by outputs begins: x in the forward pass, and in the backward pass the sum over the ranks of
    /// the gradients each rank's share sends to x (Megatron's f).
    /// </summary>
    // x: [..., d_model] → the same values
    internal Tensor Enter(Tensor x)
    {
        var y = x.Detach();
        return Tensor.Record(y, "TensorParallel.Enter", [x], g => [Summed(g)]);
    }

    /// <summary>Where a block split by inputs ends: the sum of the ranks' partial outputs, whose gradient each rank's share receives
    /// unchanged (Megatron's g).</summary>
    // partial: [..., d_model] → the sum over ranks
    internal Tensor Exit(Tensor partial)
    {
        var y = Summed(partial);
        return Tensor.Record(y, "TensorParallel.Exit", [partial], g => [g]);
    }

    /// <summary>
    /// The whole last dimension from each rank's share of it (an all-gather): in the backward pass each rank keeps its share
    /// of the gradient. For the output layer's logits, split by vocabulary.
    /// </summary>
    // share: [..., count] → [..., whole]
    internal Tensor GatherLastDim(Tensor share, int whole)
    {
        var (from, count) = ShareOf(whole);
        var y = Tensor.Allocate([.. share.Shape[..^1], whole]);                    // zeros, from the step's arena
        using (Autograd.GradMode.NoGrad()) y.Narrow(-1, from, count).CopyFrom(share);
        Reduce(y.AsSpan());   // each element is one rank's value plus zeros: exact
        return Tensor.Record(y, "TensorParallel.GatherLastDim", [share], g => [g.Narrow(-1, from, count).Contiguous()]);
    }

    /// <summary>A 64-bit value for this rank, mixed into the dropout keys of the split blocks so each rank drops its own units.</summary>
    internal ulong DropoutSalt => 0x9E3779B97F4A7C15UL * (ulong)(Rank + 1);

    // A contiguous copy of x (from the step's arena) summed over the ranks.
    private Tensor Summed(Tensor x)
    {
        var y = Tensor.Allocate(x.ShapeArray(), zeroed: false);
        using (Autograd.GradMode.NoGrad()) y.CopyFrom(x);
        Reduce(y.AsSpan());
        return y;
    }

    private void Reduce(Span<float> values)
    {
        long start = Stopwatch.GetTimestamp();
        Communicator.AllReduceSum(values);
        ReduceTime += Stopwatch.GetElapsedTime(start);
    }

    // How a share sits in the whole: along Dim, Parts equal blocks, each split over the ranks (rank r holds rows
    // [block·r/N, block·(r + 1)/N) of every block), its blocks' rows stacked in order.
    private sealed record Layout(int[] Whole, int Dim, int Parts)
    {
        public void ToShare(ReadOnlySpan<float> whole, Span<float> share, int rank, int size)
        {
            foreach (var (w, s, length) in Runs(rank, size)) whole.Slice(w, length).CopyTo(share.Slice(s, length));
        }

        public void ToWhole(ReadOnlySpan<float> share, Span<float> whole, int rank, int size)
        {
            foreach (var (w, s, length) in Runs(rank, size)) share.Slice(s, length).CopyTo(whole.Slice(w, length));
        }

        // The contiguous runs a share is made of: where each starts in the whole and in the share, and its length.
        private IEnumerable<(int Whole, int Share, int Length)> Runs(int rank, int size)
        {
            int block = Whole[Dim] / Parts, from = (int)((long)block * rank / size), k = (int)((long)block * (rank + 1) / size) - from;
            int outer = Shapes.Count(Whole.AsSpan(0, Dim)), inner = Shapes.Count(Whole.AsSpan(Dim + 1));
            for (int o = 0; o < outer; o++)
                for (int p = 0; p < Parts; p++)
                    yield return ((o * Whole[Dim] + p * block + from) * inner, (o * Parts + p) * k * inner, k * inner);
        }
    }
}
