using System.Diagnostics;
using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Server;

/// <summary>
/// One model's decoding thread and the requests waiting for it. A translation request is cut into segments of at most
/// <see cref="ServerOptions.MaxBatch"/> lines; each batch starts from the oldest segment and takes every queued segment
/// decoded the same way (greedy, or beam search with the same settings) until the batch is full, so concurrent requests
/// share decoding steps. A batch that is not full waits up to <see cref="ServerOptions.BatchWaitMilliseconds"/>, and only
/// while requests that began arriving within that time are still arriving. A request that would queue more than
/// <see cref="ServerOptions.MaxQueuedLines"/> is refused (503) unless the queue is empty. Sampled translations and
/// generations are decoded one request at a time (a request's samples come from its own seed, as they would alone). A
/// cancelled request leaves the queue at once and stops a running batch when it was the batch's last live request.
/// </summary>
internal sealed class DecodingQueue : IDisposable
{
    private readonly ServedModel _model;
    private readonly ServerOptions _options;
    private readonly Arrivals _arrivals;
    private readonly LinkedList<IJob> _queue = [];
    private readonly object _gate = new();
    private readonly Thread _thread;
    private bool _stopping;

    public DecodingQueue(ServedModel model, ServerOptions options, Arrivals arrivals)
    {
        (_model, _options, _arrivals) = (model, options, arrivals);
        _arrivals.Changed += Wake;
        _thread = new Thread(Run) { IsBackground = true, Name = $"decoding {model.Name}" };
        _thread.Start();
    }

    /// <summary>Lines waiting to be decoded, a generation counting one (what <see cref="ServerOptions.MaxQueuedLines"/> bounds).</summary>
    public int QueuedLines
    {
        get
        {
            lock (_gate) return Waiting;
        }
    }

    // The lines waiting (under the lock).
    private int Waiting => _queue.Sum(Lines);

    // A job's lines: a segment's texts, or one for a generation.
    private static int Lines(IJob job) => job is Segment s ? s.Count : 1;

    /// <summary>Translates <paramref name="texts"/> in the batches the queue forms.</summary>
    public Task<TranslationOutcome> TranslateAsync(string[] texts, DecodingOptions options, int nBest, CancellationToken cancellation)
    {
        var request = new TranslationJob(texts, options, nBest, cancellation);
        var segments = Enumerable.Range(0, (texts.Length + _options.MaxBatch - 1) / _options.MaxBatch)
            .Select(i => new Segment(request, i * _options.MaxBatch, Math.Min(_options.MaxBatch, texts.Length - i * _options.MaxBatch)));
        Enqueue(request, [.. segments]);
        return request.Done.Task;
    }

    /// <summary>Continues <paramref name="prompt"/> when the queue reaches it.</summary>
    public Task<GenerationOutcome> GenerateAsync(string prompt, DecodingOptions options, int maxTokens, CancellationToken cancellation)
    {
        var job = new GenerationJob(prompt, options, maxTokens, cancellation);
        Enqueue(job, [job]);
        return job.Done.Task;
    }

    // Registered first, queued second: a request cancelled in between is seen under the lock and never queued. A refused
    // request's registration is disposed outside the lock, which its cancellation callback takes.
    private void Enqueue(Request request, IJob[] jobs)
    {
        request.Registration = request.Cancellation.Register(() => Cancel(request));
        RequestException? refused = null;
        lock (_gate)
        {
            int adding = jobs.Sum(Lines), waiting = Waiting;
            if (_stopping) refused = RequestException.Stopping();
            else if (waiting > 0 && waiting + adding > _options.MaxQueuedLines)
                refused = RequestException.Overloaded($"{waiting} lines are waiting for model '{_model.Name}' and this request " +
                                                      $"brings {adding}; the limit is {_options.MaxQueuedLines}: try again shortly");
            else if (!request.Cancellation.IsCancellationRequested)
            {
                foreach (var job in jobs) _queue.AddLast(job);
                Monitor.PulseAll(_gate);
            }
        }
        if (refused is null) return;
        request.Registration.Dispose();
        throw refused;
    }

    // A cancelled request's segments leave the queue; its task ends cancelled; a running batch of only cancelled requests stops.
    private void Cancel(Request request)
    {
        Unqueue(request);
        request.SetCancelled();
    }

    // Removes whatever of `request` is still queued (it was cancelled, or one of its batches failed).
    private void Unqueue(Request request)
    {
        lock (_gate)
        {
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Owner == request) _queue.Remove(node);
                node = next;
            }
            Monitor.PulseAll(_gate);
        }
    }

    private void Wake()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private void Run()
    {
        while (Take() is { } batch)
        {
            if (batch[0] is GenerationJob generation) Generate(generation);
            else Translate([.. batch.Cast<Segment>()]);
        }
    }

    // The next batch (null when stopping with nothing left): the oldest job and the segments that can join it.
    private List<IJob>? Take()
    {
        lock (_gate)
        {
            long deadline = 0;
            while (true)
            {
                if (_queue.First is not { } first)
                {
                    if (_stopping) return null;
                    Monitor.Wait(_gate);
                    continue;
                }
                var batch = Collect(first.Value);
                int lines = batch.Sum(job => job is Segment s ? s.Count : _options.MaxBatch);
                if (deadline == 0)
                    deadline = Stopwatch.GetTimestamp() + (long)(_options.BatchWaitMilliseconds * Stopwatch.Frequency / 1000);
                long left = deadline - Stopwatch.GetTimestamp();
                bool arriving = _arrivals.Recent(TimeSpan.FromMilliseconds(_options.BatchWaitMilliseconds)) > 0;
                if (lines >= _options.MaxBatch || !Mergeable(first.Value) || !arriving || left <= 0 || _stopping)
                {
                    foreach (var job in batch) _queue.Remove(job);
                    return batch;
                }
                Monitor.Wait(_gate, TimeSpan.FromTicks(Math.Max(1, left * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
            }
        }
    }

    private static bool Mergeable(IJob job) => job is Segment s && s.Request.Options.Method != DecodingMethod.Sample;

    // The oldest job and, when it is a mergeable segment, the queued segments decoded the same way, up to a full batch.
    private List<IJob> Collect(IJob first)
    {
        var batch = new List<IJob> { first };
        if (!Mergeable(first)) return batch;
        var key = ((Segment)first).Request.Key;
        int lines = ((Segment)first).Count;
        foreach (var job in _queue)
        {
            if (job == first || job is not Segment s || !Mergeable(s) || s.Request.Key != key) continue;
            if (lines + s.Count > _options.MaxBatch) break;
            batch.Add(s);
            lines += s.Count;
        }
        return batch;
    }

    private void Translate(Segment[] segments)
    {
        var requests = segments.Select(s => s.Request).Distinct().ToArray();
        using var stop = new CancellationTokenSource();
        var registrations = requests.Select(r => r.Cancellation.Register(() =>
        {
            if (requests.All(live => live.Cancellation.IsCancellationRequested)) stop.Cancel();
        })).ToArray();
        long start = Stopwatch.GetTimestamp();
        try
        {
            var first = segments[0].Request;
            string[] texts = [.. segments.SelectMany(s => s.Request.Texts.Skip(s.Start).Take(s.Count))];
            var results = _model.Translator!.TranslateDetailed(texts, first.Options, first.NBest, first.Rng, stop.Token);
            double decodeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            int at = 0;
            foreach (var segment in segments)
            {
                segment.Request.Complete(segment, results.Skip(at).Take(segment.Count), start, decodeMs, texts.Length);
                at += segment.Count;
            }
        }
        catch (OperationCanceledException)
        {
            foreach (var request in requests) request.SetCancelled();
        }
        catch (Exception e)
        {
            foreach (var request in requests)
            {
                Unqueue(request);
                request.Fail(e);
            }
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }

    private void Generate(GenerationJob job)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var result = _model.Generator!.GenerateDetailed(job.Prompt, job.Options, job.MaxTokens, job.Cancellation);
            job.Complete(new GenerationOutcome(result, job.QueuedMs(start), Stopwatch.GetElapsedTime(start).TotalMilliseconds));
        }
        catch (OperationCanceledException)
        {
            job.SetCancelled();
        }
        catch (Exception e)
        {
            job.Fail(e);
        }
    }

    /// <summary>Decodes what is queued, then ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _arrivals.Changed -= Wake;
        _thread.Join();
    }

    /// <summary>A request: its cancellation, when it was queued, and how it ends (each end drops the cancellation callback).</summary>
    private abstract class Request(CancellationToken cancellation)
    {
        public CancellationToken Cancellation { get; } = cancellation;
        public long Queued { get; } = Stopwatch.GetTimestamp();
        public CancellationTokenRegistration Registration { get; set; }
        public double QueuedMs(long start) => Stopwatch.GetElapsedTime(Queued, start).TotalMilliseconds;

        public void SetCancelled()
        {
            Registration.Dispose();
            Cancelled();
        }

        public void Fail(Exception e)
        {
            Registration.Dispose();
            Failed(e);
        }

        protected abstract void Cancelled();
        protected abstract void Failed(Exception e);
    }

    /// <summary>What the decoding thread takes: a segment of a translation request or a generation.</summary>
    private interface IJob
    {
        Request Owner { get; }
    }

    private sealed class Segment(TranslationJob request, int start, int count) : IJob
    {
        public TranslationJob Request { get; } = request;
        public int Start { get; } = start;
        public int Count { get; } = count;
        public Request Owner => Request;
    }

    private sealed class TranslationJob(string[] texts, DecodingOptions options, int nBest, CancellationToken cancellation)
        : Request(cancellation)
    {
        private readonly TranslationResult[] _results = new TranslationResult[texts.Length];
        private int _remaining = texts.Length, _batchLines;
        private double _queuedMs = -1, _decodeMs;

        public string[] Texts { get; } = texts;
        public DecodingOptions Options { get; } = options;
        public int NBest { get; } = nBest;

        // Requests decoded together must agree on these (the seed only matters to sampling, which is never merged).
        public (DecodingOptions, int) Key { get; } = (options with { Seed = 0 }, nBest);
        public Rng Rng { get; } = new(options.Seed);
        public TaskCompletionSource<TranslationOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Complete(Segment segment, IEnumerable<TranslationResult> results, long start, double decodeMs, int batchLines)
        {
            int i = segment.Start;
            foreach (var result in results) _results[i++] = result;
            if (_queuedMs < 0) _queuedMs = QueuedMs(start);
            _decodeMs += decodeMs;
            _batchLines = Math.Max(_batchLines, batchLines);
            if ((_remaining -= segment.Count) > 0) return;
            Registration.Dispose();
            Done.TrySetResult(new TranslationOutcome(_results, _queuedMs, _decodeMs, _batchLines));
        }

        protected override void Cancelled() => Done.TrySetCanceled(Cancellation);
        protected override void Failed(Exception e) => Done.TrySetException(e);
    }

    private sealed class GenerationJob(string prompt, DecodingOptions options, int maxTokens, CancellationToken cancellation)
        : Request(cancellation), IJob
    {
        public Request Owner => this;
        public string Prompt { get; } = prompt;
        public DecodingOptions Options { get; } = options;
        public int MaxTokens { get; } = maxTokens;
        public TaskCompletionSource<GenerationOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Complete(GenerationOutcome outcome)
        {
            Registration.Dispose();
            Done.TrySetResult(outcome);
        }

        protected override void Cancelled() => Done.TrySetCanceled(Cancellation);
        protected override void Failed(Exception e) => Done.TrySetException(e);
    }
}

/// <summary>A translation request's results, the milliseconds it waited and decoded, and the most lines it was batched with.</summary>
internal sealed record TranslationOutcome(TranslationResult[] Results, double QueuedMs, double DecodeMs, int BatchLines);

/// <summary>A generation's result and the milliseconds it waited and decoded.</summary>
internal sealed record GenerationOutcome(GenerationResult Result, double QueuedMs, double DecodeMs);
