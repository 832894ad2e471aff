using System.Diagnostics;
using Sharpformer.IO;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Fuzz;

/// <summary>What a fuzz run saw: how many inputs, how many were accepted or rejected, and the slowest.</summary>
internal sealed record FuzzReport(string Format, int Inputs, int Accepted, int Rejected, double SlowestMs, int SlowestInput)
{
    public override string ToString() =>
        $"{Format}: {Inputs} inputs, {Accepted} accepted, {Rejected} rejected with InvalidFileException, nothing else; slowest {SlowestMs:F1} ms (input {SlowestInput})";
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

    /// <summary>Runs <paramref name="count"/> inputs made by <paramref name="mutate"/> from <paramref name="seed"/>; input i uses Rng(seed · 1000003 + i).</summary>
    public static FuzzReport Run(string format, int count, ulong seed, Func<Rng, byte[]> mutate, Action<byte[]> load, string fileName)
    {
        int accepted = 0, rejected = 0, slowestInput = -1;
        double slowest = 0;
        var clock = new Stopwatch();
        for (int i = 0; i < count; i++)
        {
            byte[] input = mutate(new Rng(seed * 1_000_003 + (ulong)i));
            clock.Restart();
            try
            {
                var attempt = Task.Run(() => load(input));
                if (!attempt.Wait(Hang)) throw Failure(format, i, input, $"still running after {Hang.TotalSeconds} s", null);
                accepted++;
            }
            catch (AggregateException wrapped) when (wrapped.InnerException is InvalidFileException e)
            {
                rejected++;
                if (e.Message.Contains('\n') || e.Message.Contains('\r') || e.Message.Length > 700 || !e.Message.Contains(fileName))
                    throw Failure(format, i, input, $"a badly formed message: {e.Message}", e);
            }
            catch (AggregateException wrapped) when (wrapped.InnerException is { } e)
            {
                throw Failure(format, i, input, $"{e.GetType().Name}: {e.Message}", e);
            }
            clock.Stop();
            if (clock.Elapsed.TotalMilliseconds > slowest) (slowest, slowestInput) = (clock.Elapsed.TotalMilliseconds, i);
            if (clock.Elapsed > Limit) throw Failure(format, i, input, $"took {clock.Elapsed.TotalSeconds:F2} s", null);
        }
        return new FuzzReport(format, count, accepted, rejected, slowest, slowestInput);
    }

    private static Exception Failure(string format, int index, byte[] input, string what, Exception? inner)
    {
        string saved = Path.Combine(Path.GetTempPath(), $"sharpformer-fuzz-{format}-{index}.bin");
        File.WriteAllBytes(saved, input);
        return new Xunit.Sdk.XunitException($"fuzz {format}, input {index} (saved to {saved}): {what}\n{inner}");
    }
}
