namespace Sharpformer.Cli.Commands;

/// <summary>Turns the errors a user can cause into one line on standard error and exit code 1.</summary>
internal static class CommandErrors
{
    /// <summary>Runs <paramref name="action"/>, reporting bad input, unreadable files and divergence as one line.</summary>
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"sharpformer: {e.Message}");
            return 1;
        }
    }

    /// <summary>Whether <paramref name="e"/> is an error a user can cause (bad input, a file, memory, MPI), not a bug.</summary>
    public static bool IsUserError(Exception e) =>
        e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or KeyNotFoundException
            or IndexOutOfRangeException or InsufficientMemoryException or Sharpformer.Training.TrainingDivergedException
            or Sharpformer.Distributed.MpiException or NotSupportedException;
}
