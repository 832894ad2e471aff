using Sharpformer.Distributed;
using Sharpformer.NN;

namespace Sharpformer.Training;

/// <summary>How the ranks of a job share a training run: the batch (data parallel), the model (tensor parallel), or both.</summary>
public static class ParallelLayout
{
    /// <summary>
    /// With <paramref name="tensorParallel"/> = 1, every rank of <paramref name="job"/> takes a share of each batch. With
    /// T &gt; 1, consecutive groups of T ranks each split one copy of the model between them (ranks 0 … T − 1 the first),
    /// and when there are several groups they share each batch, the ranks that hold the same share summing their
    /// gradients — Megatron-LM's layout: the model split within a machine, the batch shared between machines. Pass the
    /// two to <see cref="TrainingRun.Start"/>. A collective call (it splits the job's group).
    /// </summary>
    /// <exception cref="ArgumentException">The job's size is not a multiple of <paramref name="tensorParallel"/>.</exception>
    public static (DataParallel? Data, TensorParallel? Tensor) Of(ICommunicator job, int tensorParallel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tensorParallel, 1);
        if (job.Size > TrainerCheckpoint.MaxRanks)   // each rank's dropout generator goes into the checkpoint
            throw new ArgumentException($"a job of {job.Size} ranks is more than a checkpoint can resume ({TrainerCheckpoint.MaxRanks})");
        if (tensorParallel == 1) return (job.Size == 1 ? null : new DataParallel(job), null);
        if (job.Size % tensorParallel != 0)
            throw new ArgumentException($"tensor parallelism over {tensorParallel} ranks needs a multiple of {tensorParallel} ranks, " +
                                        $"not {job.Size}");
        if (job.Size == tensorParallel) return (null, new TensorParallel(job));
        var model = job.Split(color: job.Rank / tensorParallel, key: job.Rank);   // the ranks that split one copy of the model
        var share = job.Split(color: job.Rank % tensorParallel, key: job.Rank);   // the ranks that hold the same share of it
        return (new DataParallel(share), new TensorParallel(model));
    }
}
