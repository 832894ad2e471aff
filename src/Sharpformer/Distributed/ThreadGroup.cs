using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Sharpformer.Distributed;

/// <summary>
/// Ranks as threads of this process: <see cref="Run"/> starts one thread per rank, each with its own
/// <see cref="ICommunicator"/>, so that code written for an MPI job runs — and can be tested and stepped through — without
/// <c>mpirun</c>. A sum over ranks adds the ranks' values in rank order, so every rank gets the same bits. When one rank
/// throws, the others leave their next collective call and <see cref="Run"/> rethrows the first error.
/// </summary>
public sealed class ThreadGroup
{
    private readonly Barrier _barrier;
    private readonly byte[][] _slots;
    private readonly CancellationTokenSource _failed;
    private readonly Dictionary<(int Split, int Color), ThreadGroup> _parts = [];   // the groups Split made, shared by their members

    // A group of `size` ranks; a part of another group is cancelled with it.
    private ThreadGroup(int size, CancellationToken whole = default)
    {
        _barrier = new Barrier(size);
        _slots = [.. Enumerable.Range(0, size).Select(_ => Array.Empty<byte>())];
        _failed = CancellationTokenSource.CreateLinkedTokenSource(whole);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="size"/> threads, rank 0 … size − 1, and returns each rank's result.
    /// </summary>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var group = new ThreadGroup(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(rank => new Thread(() =>
        {
            try
            {
                results[rank] = body(new Member(group, rank));
            }
            catch (Exception e)
            {
                errors[rank] = e;
                group._failed.Cancel();
            }
        }, maxStackSize: 16 << 20) { Name = $"rank {rank}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var first = errors.FirstOrDefault(e => e is not null and not OperationCanceledException)
                    ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null) ExceptionDispatchInfo.Throw(first);
        return results;
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> threads, rank 0 … size − 1.</summary>
    public static void Run(int size, Action<ICommunicator> body) => Run(size, c =>
    {
        body(c);
        return 0;
    });

    private void Wait() => _barrier.SignalAndWait(_failed.Token);

    private sealed class Member(ThreadGroup group, int rank) : ICommunicator
    {
        private int _splits;   // how many times this rank split the group: the same count on every rank at each call

        public int Rank => rank;

        public int Size => group._slots.Length;

        public void AllReduceSum(Span<float> values)
        {
            Publish(MemoryMarshal.AsBytes(values));
            values.Clear();
            foreach (var slot in group._slots)   // rank order: the same sum on every rank
                TensorPrimitives.Add(values, MemoryMarshal.Cast<byte, float>(slot.AsSpan(0, values.Length * sizeof(float))), values);
            group.Wait();   // nobody writes its slot again before everyone has read
        }

        public void Broadcast<T>(Span<T> values, int root) where T : unmanaged
        {
            if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"rank {root} is not in [0, {Size})");
            var bytes = MemoryMarshal.AsBytes(values);
            Publish(rank == root ? bytes : []);
            if (rank != root) group._slots[root].AsSpan(0, bytes.Length).CopyTo(bytes);
            group.Wait();
        }

        public void Barrier() => group.Wait();

        public ICommunicator Split(int color, int key)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(color);
            Publish(MemoryMarshal.AsBytes<int>([color, key]));
            var members = Enumerable.Range(0, Size).Select(r => MemoryMarshal.Cast<byte, int>(group._slots[r].AsSpan(0, 8)).ToArray())
                .Select((pair, r) => (Rank: r, Color: pair[0], Key: pair[1])).Where(m => m.Color == color)
                .OrderBy(m => m.Key).ThenBy(m => m.Rank).Select(m => m.Rank).ToList();
            ThreadGroup part;
            lock (group._parts)
                if (!group._parts.TryGetValue((_splits, color), out part!))
                    group._parts[(_splits, color)] = part = new ThreadGroup(members.Count, group._failed.Token);
            _splits++;
            group.Wait();   // every rank has read the slots
            return new Member(part, members.IndexOf(rank));
        }

        // Copies this rank's bytes into its slot and waits until every rank has.
        private void Publish(ReadOnlySpan<byte> bytes)
        {
            ref var slot = ref group._slots[rank];
            if (slot.Length < bytes.Length) slot = new byte[bytes.Length];
            bytes.CopyTo(slot);
            group.Wait();
        }
    }
}
