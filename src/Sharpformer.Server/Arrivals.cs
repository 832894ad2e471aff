using System.Diagnostics;

namespace Sharpformer.Server;

/// <summary>
/// Requests the server has received but not yet queued for decoding (their bodies still being read and checked):
/// while some began arriving recently, a batch that is not full waits a little for them. A request arriving for longer
/// (a client trickling its body) is not waited for.
/// </summary>
internal sealed class Arrivals
{
    private readonly Dictionary<long, long> _started = [];   // arrival → its Stopwatch timestamp
    private long _next;

    /// <summary>Raised when a request stops arriving (it was queued or refused).</summary>
    public event Action? Changed;

    /// <summary>Requests arriving now that began less than <paramref name="window"/> ago.</summary>
    public int Recent(TimeSpan window)
    {
        long since = Stopwatch.GetTimestamp() - (long)(window.TotalSeconds * Stopwatch.Frequency);
        lock (_started) return _started.Values.Count(started => started >= since);
    }

    /// <summary>Counts a request as arriving until the returned scope ends.</summary>
    public Scope Arrive()
    {
        lock (_started)
        {
            long id = _next++;
            _started.Add(id, Stopwatch.GetTimestamp());
            return new Scope(this, id);
        }
    }

    /// <summary>The time a request is arriving.</summary>
    public readonly struct Scope(Arrivals arrivals, long id) : IDisposable
    {
        /// <summary>The request has been queued or refused.</summary>
        public void Dispose()
        {
            lock (arrivals._started) arrivals._started.Remove(id);
            arrivals.Changed?.Invoke();
        }
    }
}
