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
        if (MpiWorld.ForeignLauncher is { } launcher)
        {
            Console.Error.WriteLine($"sharpformer: started by {launcher}, which Sharpformer cannot join: each process would " +
                                    "train alone into the same directory; start the job with Open MPI's mpirun -np N");
            return 1;
        }
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
            // A user's error in one line; a bug with its stack, as a single process would show it.
            Console.Error.WriteLine($"sharpformer: rank {world.Rank} of {world.Size}: {(CommandErrors.IsUserError(e) ? e.Message : e)}");
            world.Abort(1);
        }
        world.Dispose();
        return code;
    }

    /// <summary>
    /// How the job's ranks share the work (<see cref="ParallelLayout.Of"/>): a single process has neither kind, and cannot
    /// split the model.
    /// </summary>
    public static (DataParallel? Data, TensorParallel? Tensor) Plan(MpiWorld? world, int tensorParallel)
    {
        if (world is not null) return ParallelLayout.Of(world, tensorParallel);
        if (tensorParallel == 1) return (null, null);
        throw new ArgumentException($"--tensor-parallel {tensorParallel} splits the model over {tensorParallel} processes: " +
                                    $"start them with mpirun -np {tensorParallel}");
    }
}
