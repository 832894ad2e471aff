namespace Sharpformer.Distributed;

/// <summary>MPI is missing, is not Open MPI, or a call into it failed.</summary>
public sealed class MpiException(string message) : Exception(message);
