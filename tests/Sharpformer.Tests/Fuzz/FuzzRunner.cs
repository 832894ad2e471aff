using System.Diagnostics;
using Sharpformer.IO;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Fuzz;

/// <summary>What a fuzz run saw: how many inputs, how many were accepted or rejected, and the slowest.</summary>
internal sealed record FuzzReport(string Format, int Inputs, int Accepted, int Rejected, double SlowestMs, int SlowestInput)
{
    public override string ToString() =>
        $"{Format}: {Inputs} inputs, {Accepted} accepted, {Rejected} rejected with InvalidFileException, nothing else; " +
            $"slowest {SlowestMs:F1} ms (input {SlowestInput})";
}

/// <summary>
/// Feeds mutated inputs to a loader. Each outcome must be either a normal return or an
/// <see cref="InvalidFileException"/> whose message is one short line naming the file; any other
/// exception, or an input slower than a second, fails the run, naming the input's index and saving it
/// under the temporary directory so it can be replayed.
/// </summary>
internal static class FuzzRunner
{
    /// <summary>The longest any single input may take (a hang detector, not a benchmark).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for an input before calling it a hang and failing (the loader's thread is abandoned).</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="count"/> inputs made by <paramref name="mutate"/> from <paramref name="seed"/>; input i uses
    /// Rng(seed · 1000003 + i).
    /// </summary>
    public static FuzzReport Run(string format, int count, ulong seed, Func<Rng, byte[]> mutate, Action<byte[]> load, string fileName)
    {
        int accepted = 0, rejected = 0, slowestInput = -1;
        double slowest = 0;
        for (int i = 0; i < count; i++)
        {
            byte[] input = mutate(new Rng(seed * 1_000_003 + (ulong)i));
            var (outcome, elapsed) = Attempt(format, i, input, load, fileName);
            // The machine is shared and tests run side by side: a slow input is timed again before it counts.
            if (elapsed > Limit) (outcome, elapsed) = Attempt(format, i, input, load, fileName);
            if (elapsed > Limit) throw Failure(format, i, input, $"took {elapsed.TotalSeconds:F2} s, twice", null);
            if (outcome) accepted++;
            else rejected++;
            if (elapsed.TotalMilliseconds > slowest) (slowest, slowestInput) = (elapsed.TotalMilliseconds, i);
        }
        return new FuzzReport(format, count, accepted, rejected, slowest, slowestInput);
    }

    // One load of one input on its own task, timed inside the task (waiting for a thread does not count):
    // true when it loads, false when it is rejected as the one documented exception.
    private static (bool Accepted, TimeSpan Elapsed) Attempt(string format, int index, byte[] input, Action<byte[]> load, string fileName)
    {
        var attempt = Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                load(input);
                return (true, clock.Elapsed, (Exception?)null);
            }
            catch (Exception e)
            {
                return (false, clock.Elapsed, e);
            }
        });
        if (!attempt.Wait(Hang)) throw Failure(format, index, input, $"still running after {Hang.TotalSeconds} s", null);
        var (accepted, elapsed, error) = attempt.Result;
        switch (error)
        {
            case null:
                return (accepted, elapsed);
            case InvalidFileException e when e.Message.Contains('\n') || e.Message.Contains('\r') || e.Message.Length > 700
                || !e.Message.Contains(fileName):
                throw Failure(format, index, input, $"a badly formed message: {e.Message}", e);
            case InvalidFileException:
                return (false, elapsed);
            default:
                throw Failure(format, index, input, $"{error.GetType().Name}: {error.Message}", error);
        }
    }

    private static Exception Failure(string format, int index, byte[] input, string what, Exception? inner)
    {
        string saved = Path.Combine(Path.GetTempPath(), $"sharpformer-fuzz-{format}-{index}.bin");
        File.WriteAllBytes(saved, input);
        return new Xunit.Sdk.XunitException($"fuzz {format}, input {index} (saved to {saved}): {what}\n{inner}");
    }
}
