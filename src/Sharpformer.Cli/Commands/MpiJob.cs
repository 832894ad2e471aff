using Sharpformer.Distributed;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary>Runs a command in this process, or as one rank of an MPI job when <c>mpirun</c> started it.</summary>
internal static class MpiJob
{
    /// <summary>
    /// Runs <paramref name="body"/> with no job (a single process, errors as <see cref="CommandErrors"/> reports them) or
    /// with this rank's <see cref="DataParallel"/>. In a job, divergence — which every rank sees at the same step — ends
    /// every rank with rank 0's message; any other error on any rank prints one line naming the rank and aborts the
    /// whole job (MPI_Abort), so that no rank waits forever for one that is gone.
    /// </summary>
    public static int Run(Func<DataParallel?, int> body)
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
            code = body(new DataParallel(world));
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
}
