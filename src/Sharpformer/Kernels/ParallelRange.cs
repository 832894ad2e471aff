using System.Runtime.CompilerServices;

namespace Sharpformer.Kernels;

/// <summary>Work over an index range [start, end) that can be split into independent pieces.</summary>
internal interface IRangeJob
{
    void Run(int start, int end);
}

/// <summary>
/// Splits [0, count) into contiguous pieces of at least <c>grain</c> indices and runs them on the
/// <see cref="WorkerPool"/> (the caller takes part). The job is a struct on the caller's stack, so a call
/// allocates nothing; results must not depend on how the range was split.
/// </summary>
internal static unsafe class ParallelRange
{
    private struct State
    {
        public void* Job;
        public int Count;
        public int Pieces;
    }

    /// <summary>
    /// Runs job over [0, count) in up to <paramref name="piecesPerThread"/> pieces per thread, handed out as threads
    /// free up (more pieces than threads even out threads that run at different speeds).
    /// </summary>
    public static void For<TJob>(int count, int grain, ref TJob job, int piecesPerThread = 1) where TJob : struct, IRangeJob
    {
        int threads = Parallelism.Threads;
        int pieces = Math.Min(threads * piecesPerThread, count / Math.Max(1, grain));
        if (pieces <= 1)
        {
            if (count > 0) job.Run(0, count);
            return;
        }
        var state = new State { Job = Unsafe.AsPointer(ref job), Count = count, Pieces = pieces };
        WorkerPool.For(pieces, threads, &RunPiece<TJob>, &state);
    }

    private static void RunPiece<TJob>(int piece, void* statePointer) where TJob : struct, IRangeJob
    {
        var state = (State*)statePointer;
        int start = (int)((long)state->Count * piece / state->Pieces);
        int end = (int)((long)state->Count * (piece + 1) / state->Pieces);
        Unsafe.AsRef<TJob>(state->Job).Run(start, end);
    }
}
