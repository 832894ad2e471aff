namespace Sharpformer.Distributed;

/// <summary>
/// A group of ranks that compute together, and the collective calls they make: every rank of the group must make the
/// same calls in the same order with the same lengths. An MPI job (<see cref="MpiWorld"/>) is one; threads of one
/// process (<see cref="ThreadGroup"/>) are another, for tests and for learning.
/// </summary>
public interface ICommunicator
{
    /// <summary>This rank, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>The number of ranks in the group.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by their element-wise sum over all ranks (the same bits on each).
    /// </summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Copies <paramref name="values"/> of rank <paramref name="root"/> into every other rank's.</summary>
    void Broadcast<T>(Span<T> values, int root) where T : unmanaged;

    /// <summary>Returns on each rank once every rank has called it.</summary>
    void Barrier();

    /// <summary>
    /// Splits the group (a collective call): the ranks that pass the same <paramref name="color"/> form one new group,
    /// ranked by <paramref name="key"/> (then by their rank here), as MPI_Comm_split.
    /// </summary>
    ICommunicator Split(int color, int key);
}
