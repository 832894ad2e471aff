namespace Sharpformer.Server;

/// <summary>
/// Requests the server has received but not yet queued for decoding (their bodies still being read and checked):
/// while there are some, a batch that is not full waits a little for them.
/// </summary>
internal sealed class Arrivals
{
    private int _count;

    /// <summary>Raised when a request stops arriving (it was queued or refused).</summary>
    public event Action? Changed;

    /// <summary>Requests arriving now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts a request as arriving until the returned scope ends.</summary>
    public Scope Arrive()
    {
        Interlocked.Increment(ref _count);
        return new Scope(this);
    }

    /// <summary>The time a request is arriving.</summary>
    public readonly struct Scope(Arrivals arrivals) : IDisposable
    {
        /// <summary>The request has been queued or refused.</summary>
        public void Dispose()
        {
            Interlocked.Decrement(ref arrivals._count);
            arrivals.Changed?.Invoke();
        }
    }
}
