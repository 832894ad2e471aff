using System.Diagnostics;
using Sharpformer.Tensors;

namespace Sharpformer.Distributed;

/// <summary>
/// Data parallelism over a group of ranks (an MPI job, or threads of one process), as PyTorch's DistributedDataParallel:
/// every rank draws the same global batch and computes a contiguous share of its examples; each rank's loss is weighted
/// by its share of the batch's target tokens, so the sum of the ranks' gradients (an all-reduce) is the gradient of the global batch's
/// mean loss — the step one process would take with the same settings.
/// </summary>
public sealed class DataParallel
{
    private readonly long _bucketValues;
    private float[]? _buffer;

    /// <summary>Data parallelism over <paramref name="world"/>; gradients travel in buckets of at most
    /// <paramref name="bucketBytes"/> (small tensors are packed together, large ones reduced in place).</summary>
    public DataParallel(ICommunicator world, int bucketBytes = 4 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, 4);
        (World, _bucketValues) = (world, bucketBytes / sizeof(float));
    }

    /// <summary>The ranks.</summary>
    public ICommunicator World { get; }

    /// <summary>Whether this rank writes the run's files (rank 0).</summary>
    public bool IsLeader => World.Rank == 0;

    /// <summary>Time spent in all-reduce since the run started.</summary>
    public TimeSpan ReduceTime { get; private set; }

    /// <summary>
    /// This rank's share of a batch of <paramref name="examples"/>: examples [B·rank/N, B·(rank + 1)/N), empty when the
    /// batch has fewer examples than there are ranks and none fall to this one.
    /// </summary>
    public (int From, int To) Share(int examples) =>
        ((int)((long)examples * World.Rank / World.Size), (int)((long)examples * (World.Rank + 1) / World.Size));

    /// <summary>
    /// Replaces each parameter's gradient by its sum over the ranks (a parameter with no gradient on this rank — its
    /// share of the batch was empty — counts as zeros).
    /// </summary>
    public void AllReduceGradients(IEnumerable<Tensor> parameters)
    {
        var start = Stopwatch.GetTimestamp();
        var small = new List<Tensor>();
        long smallValues = 0;
        foreach (var p in parameters)
        {
            p.Grad ??= Tensor.ZerosLike(p);
            if (p.Grad.Length >= _bucketValues) ReduceInPlace(p.Grad.AsSpan());
            else
            {
                if (smallValues + p.Grad.Length > _bucketValues) ReducePacked(small, ref smallValues);
                small.Add(p.Grad);
                smallValues += p.Grad.Length;
            }
        }
        ReducePacked(small, ref smallValues);
        ReduceTime += Stopwatch.GetElapsedTime(start);
    }

    /// <summary>The sum of <paramref name="values"/> over the ranks, on every rank.</summary>
    public float[] Sum(params float[] values)
    {
        var start = Stopwatch.GetTimestamp();
        World.AllReduceSum(values);
        ReduceTime += Stopwatch.GetElapsedTime(start);
        return values;
    }

    /// <summary>Copies rank 0's values of <paramref name="tensors"/> (contiguous) into every other rank's.</summary>
    public void BroadcastFromLeader(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) World.Broadcast(t.AsSpan(), root: 0);
    }

    private void ReduceInPlace(Span<float> values)
    {
        for (long at = 0; at < values.Length; at += _bucketValues)
            World.AllReduceSum(values.Slice((int)at, (int)Math.Min(_bucketValues, values.Length - at)));
    }

    // Small gradients travel together: packed into one buffer, summed, unpacked.
    private void ReducePacked(List<Tensor> gradients, ref long values)
    {
        if (gradients.Count == 0) return;
        var buffer = (_buffer ??= new float[_bucketValues]).AsSpan(0, (int)values);
        int at = 0;
        foreach (var g in gradients)
        {
            g.AsSpan().CopyTo(buffer[at..]);
            at += g.Length;
        }
        World.AllReduceSum(buffer[..at]);
        at = 0;
        foreach (var g in gradients)
        {
            buffer.Slice(at, g.Length).CopyTo(g.AsSpan());
            at += g.Length;
        }
        gradients.Clear();
        values = 0;
    }
}
