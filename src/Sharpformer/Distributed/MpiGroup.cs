using System.Runtime.InteropServices;

namespace Sharpformer.Distributed;

/// <summary>
/// Ranks of an MPI job that make collective calls together, over one MPI communicator: the whole job
/// (<see cref="MpiWorld"/>), or a part of it that <see cref="MpiWorld.Split"/> made — the ranks that share one
/// model in a job that is both tensor and data parallel, or those that hold the same share of it.
/// </summary>
public sealed unsafe class MpiGroup : ICommunicator
{
    private readonly nint _communicator;
    private readonly Func<bool> _finalized;

    internal MpiGroup(nint communicator, Func<bool> finalized)
    {
        (_communicator, _finalized) = (communicator, finalized);
        int rank, size;
        OpenMpiLibrary.Check(OpenMpiLibrary.CommRank(communicator, &rank), "MPI_Comm_rank");
        OpenMpiLibrary.Check(OpenMpiLibrary.CommSize(communicator, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values)
    {
        ThrowIfFinalized();
        const int chunk = 1 << 28;   // MPI counts are ints
        for (int start = 0; start < values.Length; start += chunk)
        {
            var part = values.Slice(start, Math.Min(chunk, values.Length - start));
            fixed (float* p = part)
                OpenMpiLibrary.Check(OpenMpiLibrary.AllReduce(OpenMpiLibrary.InPlace, p, part.Length, OpenMpiLibrary.Float,
                    OpenMpiLibrary.Sum, _communicator), "MPI_Allreduce");
        }
    }

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> values, int root) where T : unmanaged
    {
        ThrowIfFinalized();
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"rank {root} is not in [0, {Size})");
        var bytes = MemoryMarshal.AsBytes(values);
        const int chunk = 1 << 30;
        for (int start = 0; start < bytes.Length; start += chunk)
        {
            var part = bytes.Slice(start, Math.Min(chunk, bytes.Length - start));
            fixed (byte* p = part)
                OpenMpiLibrary.Check(OpenMpiLibrary.Broadcast(p, part.Length, OpenMpiLibrary.Byte, root, _communicator), "MPI_Bcast");
        }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        ThrowIfFinalized();
        OpenMpiLibrary.Check(OpenMpiLibrary.Barrier(_communicator), "MPI_Barrier");
    }

    /// <summary>
    /// Splits this group (a collective call): the ranks that pass the same <paramref name="color"/> form one new group,
    /// ordered by <paramref name="key"/> (MPI_Comm_split).
    /// </summary>
    public MpiGroup Split(int color, int key)
    {
        ThrowIfFinalized();
        ArgumentOutOfRangeException.ThrowIfNegative(color);
        nint part;
        OpenMpiLibrary.Check(OpenMpiLibrary.CommSplit(_communicator, color, key, &part), "MPI_Comm_split");
        return new MpiGroup(part, _finalized);
    }

    ICommunicator ICommunicator.Split(int color, int key) => Split(color, key);

    private void ThrowIfFinalized()
    {
        if (_finalized()) throw new ObjectDisposedException(nameof(MpiWorld), "MPI was finalized");
    }
}
