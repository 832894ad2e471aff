using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Sharpformer.Distributed;

/// <summary>
/// The processes of the MPI job this process belongs to (MPI_COMM_WORLD): its rank among them, their number, and the
/// collective calls data-parallel training needs — sum over ranks, broadcast from one, barrier, abort. Started by
/// <c>mpirun -np N</c>; MPI is loaded only when <see cref="Initialize"/> is called, so a single process never needs it.
/// Every call comes from the thread that initialized MPI (MPI_THREAD_FUNNELED); Sharpformer's compute threads never
/// call MPI.
/// </summary>
public sealed unsafe class MpiWorld : ICommunicator, IDisposable
{
    private static MpiWorld? _current;
    private bool _finalized;

    private readonly MpiGroup _all;

    private MpiWorld()
    {
        _all = new MpiGroup(OpenMpiLibrary.World, () => _finalized);
        (Rank, Size) = (_all.Rank, _all.Size);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <summary>
    /// Whether this process was started by an MPI launcher (<c>mpirun</c>, <c>mpiexec</c>): Open MPI sets
    /// <c>OMPI_COMM_WORLD_SIZE</c> in every process it starts.
    /// </summary>
    public static bool IsLaunched => LaunchedSize is not null;

    /// <summary>
    /// Another launcher than Open MPI's, when its environment shows one started this process as one of several (MPICH's or
    /// Intel MPI's Hydra, MVAPICH, PMIx, Slurm's srun), or null. Sharpformer's binding is Open MPI's alone, and without
    /// OMPI_COMM_WORLD_SIZE each such process would train alone into the same directory.
    /// </summary>
    public static string? ForeignLauncher => ForeignLauncherOf(Environment.GetEnvironmentVariable);

    /// <summary><see cref="ForeignLauncher"/> for the environment <paramref name="variable"/> gives.</summary>
    public static string? ForeignLauncherOf(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (int.TryParse(variable("OMPI_COMM_WORLD_SIZE"), out _)) return null;
        bool Several(string name) => int.TryParse(variable(name), out int n) && n > 1;
        if (Several("PMI_SIZE")) return "a PMI launcher (MPICH's or Intel MPI's mpiexec)";
        if (Several("MV2_COMM_WORLD_SIZE")) return "MVAPICH's launcher";
        if (variable("PMIX_RANK") is not null) return "a PMIx launcher";
        if (Several("SLURM_STEP_NUM_TASKS")) return "Slurm's srun";
        return null;
    }

    /// <summary>The number of processes the launcher started, from its environment, or null outside one.</summary>
    public static int? LaunchedSize =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int size) && size > 0 ? size : null;

    /// <summary>The number of the job's processes on this machine, from the launcher's environment, or null outside one.</summary>
    public static int? LocalSize =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int size) && size > 0 ? size : null;

    /// <summary>
    /// Initializes MPI (once per process: MPI cannot start again after it finalized) and returns the job's processes.
    /// Unless <see cref="Kernels.Parallelism.Threads"/> was set, it becomes this rank's share of the machine's cores
    /// (<see cref="RankThreads.Default"/>).
    /// </summary>
    /// <exception cref="MpiException">MPI is not installed, is not Open MPI, or does not start.</exception>
    public static MpiWorld Initialize()
    {
        if (_current is not null) return _current;
        OpenMpiLibrary.Load();
        int initialized, provided;
        OpenMpiLibrary.Check(OpenMpiLibrary.Initialized(&initialized), "MPI_Initialized");
        if (initialized != 0) throw new MpiException("MPI was initialized outside Sharpformer");
        OpenMpiLibrary.Check(OpenMpiLibrary.InitThread(null, null, OpenMpiLibrary.ThreadFunneled, &provided), "MPI_Init_thread");
        if (provided < OpenMpiLibrary.ThreadFunneled)
            throw new MpiException($"MPI offers thread level {provided}; Sharpformer needs MPI_THREAD_FUNNELED");
        if (!Kernels.Parallelism.IsSet) Kernels.Parallelism.Threads = RankThreads.Default;   // not every core on every rank
        return _current = new MpiWorld();
    }

    /// <summary>The MPI library's own description, e.g. "Open MPI v4.1.4, …".</summary>
    public string LibraryVersion
    {
        get
        {
            var text = stackalloc byte[OpenMpiLibrary.MaxLibraryVersion];
            int length;
            OpenMpiLibrary.Check(OpenMpiLibrary.GetLibraryVersion(text, &length), "MPI_Get_library_version");
            return Encoding.UTF8.GetString(text, length).Split(',')[0].Trim('\0', ' ', '\n');
        }
    }

    /// <summary>The name of the machine this rank runs on.</summary>
    public string ProcessorName
    {
        get
        {
            var text = stackalloc byte[OpenMpiLibrary.MaxProcessorName];
            int length;
            OpenMpiLibrary.Check(OpenMpiLibrary.GetProcessorName(text, &length), "MPI_Get_processor_name");
            return Encoding.UTF8.GetString(text, length);
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) => _all.AllReduceSum(values);

    /// <inheritdoc/>
    public void Broadcast<T>(Span<T> values, int root) where T : unmanaged => _all.Broadcast(values, root);

    /// <inheritdoc/>
    public void Barrier() => _all.Barrier();

    /// <summary>
    /// Splits the job (a collective call): the ranks that pass the same <paramref name="color"/> form one group, ordered
    /// by <paramref name="key"/> — e.g. the ranks that share one model when the job is both tensor and data parallel.
    /// </summary>
    public MpiGroup Split(int color, int key) => _all.Split(color, key);

    ICommunicator ICommunicator.Split(int color, int key) => Split(color, key);

    /// <summary>Ends every process of the job with exit code <paramref name="exitCode"/> (MPI_Abort): what a rank that
    /// cannot go on calls, so that no other rank waits for it forever.</summary>
    [DoesNotReturn]
    public void Abort(int exitCode)
    {
        OpenMpiLibrary.Abort(OpenMpiLibrary.World, exitCode);
        Environment.Exit(exitCode);   // MPI_Abort does not return; should it, this process still ends
    }

    /// <summary>Finalizes MPI (every rank must): no MPI call can follow in this process.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        OpenMpiLibrary.Check(OpenMpiLibrary.Finalize(), "MPI_Finalize");
    }
}
