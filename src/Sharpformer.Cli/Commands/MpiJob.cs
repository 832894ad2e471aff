using Sharpformer.Distributed;
using Sharpformer.NN;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary>Runs a command in this process, or as one rank of an MPI job when <c>mpirun</c> started it.</summary>
internal static class MpiJob
{
    /// <summary>
    /// Runs <paramref name="body"/> with no job (a single process, errors as <see cref="CommandErrors"/> reports them) or
    /// with the job's <see cref="MpiWorld"/>. In a job, divergence — which every rank sees at the same step — ends
    /// every rank with rank 0's message; any other error on any rank prints one line naming the rank and aborts the
    /// whole job (MPI_Abort), so that no rank waits forever for one that is gone.
    /// </summary>
    public static int Run(Func<MpiWorld?, int> body)
    {
        if (!MpiWorld.IsLaunched) return CommandErrors.Run(() => body(null));
        MpiWorld world;
        try
        {
            world = MpiWorld.Initialize();
        }
        catch (MpiException e)   // every rank finds the same library
        {
            Console.Error.WriteLine($"sharpformer: {e.Message}");
            return 1;
        }
        int code = 1;
        try
        {
            code = body(world);
        }
        catch (TrainingDivergedException e)
        {
            if (world.Rank == 0) Console.Error.WriteLine($"sharpformer: {e.Message}");
            code = 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"sharpformer: rank {world.Rank} of {world.Size}: {e.Message}");
            world.Abort(1);
        }
        world.Dispose();
        return code;
    }

    /// <summary>
    /// How the job's ranks share the work: a single process has neither kind; under mpirun, every rank takes a share of
    /// each batch (data parallel); with <paramref name="tensorParallel"/> = T &gt; 1, consecutive groups of T ranks each
    /// split the model between them (ranks 0 … T − 1 the first), and the groups share each batch.
    /// </summary>
    public static (DataParallel? Data, TensorParallel? Tensor) Plan(MpiWorld? world, int tensorParallel)
    {
        if (tensorParallel == 1) return (world is null ? null : new DataParallel(world), null);
        if (world is null)
            throw new ArgumentException($"--tensor-parallel {tensorParallel} splits the model over {tensorParallel} processes: " +
                                        $"start them with mpirun -np {tensorParallel}");
        if (world.Size == tensorParallel) return (null, new TensorParallel(world));
        if (world.Size % tensorParallel != 0)
            throw new ArgumentException($"--tensor-parallel {tensorParallel} needs a multiple of {tensorParallel} ranks, not {world.Size}");
        var model = world.Split(color: world.Rank / tensorParallel, key: world.Rank);   // the ranks that split one model
        var share = world.Split(color: world.Rank % tensorParallel, key: world.Rank);   // the ranks that hold the same share
        return (new DataParallel(share), new TensorParallel(model));
    }
}
