using System.Runtime.InteropServices;

namespace Sharpformer.Distributed;

/// <summary>
/// The few entry points of Open MPI's <c>libmpi.so</c> that Sharpformer calls, loaded on first use (so a machine
/// without MPI never needs it). Open MPI's handles are addresses of its predefined objects — MPI_COMM_WORLD is
/// <c>&amp;ompi_mpi_comm_world</c>, MPI_FLOAT <c>&amp;ompi_mpi_float</c> — so they are read from the library's exports;
/// MPICH's handles are integers, which is why this binding is Open MPI's alone (and why the MPI.NET package, built
/// against Microsoft MPI's integer handles, does not run here).
/// </summary>
internal static unsafe class OpenMpiLibrary
{
    /// <summary>The file names tried, newest ABI first.</summary>
    public static readonly string[] FileNames = ["libmpi.so.40", "libmpi.so"];

    private const int Success = 0;

    public static delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public static delegate* unmanaged<int*, int> Initialized;
    public static delegate* unmanaged<int> Finalize;
    public static delegate* unmanaged<nint, int*, int> CommRank;
    public static delegate* unmanaged<nint, int*, int> CommSize;
    public static delegate* unmanaged<void*, void*, int, nint, nint, nint, int> AllReduce;
    public static delegate* unmanaged<void*, int, nint, int, nint, int> Broadcast;
    public static delegate* unmanaged<nint, int> Barrier;
    public static delegate* unmanaged<nint, int, int> Abort;
    public static delegate* unmanaged<nint, int, int, nint*, int> CommSplit;
    public static delegate* unmanaged<byte*, int*, int> GetLibraryVersion;
    public static delegate* unmanaged<byte*, int*, int> GetProcessorName;

    /// <summary>MPI_COMM_WORLD.</summary>
    public static nint World;

    /// <summary>MPI_FLOAT, MPI_BYTE.</summary>
    public static nint Float, Byte;

    /// <summary>MPI_SUM.</summary>
    public static nint Sum;

    /// <summary>MPI_IN_PLACE: Open MPI's is the address 1.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary>MPI_THREAD_FUNNELED: threads may run, only the one that initialized MPI calls it.</summary>
    public const int ThreadFunneled = 1;

    /// <summary>MPI_MAX_LIBRARY_VERSION_STRING and MPI_MAX_PROCESSOR_NAME in Open MPI's mpi.h.</summary>
    public const int MaxLibraryVersion = 256, MaxProcessorName = 256;

    private static readonly Lock Gate = new();
    private static bool _loaded;

    /// <summary>Loads the library and its entry points once.</summary>
    /// <exception cref="MpiException">No <c>libmpi.so</c> loads, or it is not Open MPI's.</exception>
    public static void Load()
    {
        lock (Gate)
        {
            if (_loaded) return;
            nint library = 0;
            foreach (string name in FileNames)
                if (NativeLibrary.TryLoad(name, out library)) break;
            if (library == 0)
                throw new MpiException("MPI is not installed: no libmpi.so found (on Debian or Ubuntu: " +
                    "sudo apt-get install openmpi-bin libopenmpi-dev)");
            if (!NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out World))
                throw new MpiException("the libmpi.so found is not Open MPI's (no ompi_mpi_comm_world); Sharpformer's MPI " +
                    "binding speaks Open MPI's interface");
            Float = Export(library, "ompi_mpi_float");
            Byte = Export(library, "ompi_mpi_byte");
            Sum = Export(library, "ompi_mpi_op_sum");
            InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(library, "MPI_Init_thread");
            Initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
            Finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
            CommRank = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_rank");
            CommSize = (delegate* unmanaged<nint, int*, int>)Export(library, "MPI_Comm_size");
            AllReduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export(library, "MPI_Allreduce");
            Broadcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export(library, "MPI_Bcast");
            Barrier = (delegate* unmanaged<nint, int>)Export(library, "MPI_Barrier");
            Abort = (delegate* unmanaged<nint, int, int>)Export(library, "MPI_Abort");
            CommSplit = (delegate* unmanaged<nint, int, int, nint*, int>)Export(library, "MPI_Comm_split");
            GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version");
            GetProcessorName = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_processor_name");
            _loaded = true;
        }
    }

    /// <summary>Throws an <see cref="MpiException"/> naming <paramref name="call"/> unless it returned MPI_SUCCESS.</summary>
    public static void Check(int code, string call)
    {
        if (code != Success) throw new MpiException($"{call} failed with MPI error code {code}");
    }

    private static nint Export(nint library, string name) => NativeLibrary.TryGetExport(library, name, out nint address)
        ? address
        : throw new MpiException($"the Open MPI library found lacks {name}; Sharpformer needs Open MPI 4 or later");
}
