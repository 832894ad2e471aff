namespace Sharpformer.Cli.Benchmarks;

/// <summary>Summaries of timing samples for the benchmarks' reports (also linked into benchmarks/Sharpformer.Benchmarks).</summary>
internal static class Samples
{
    /// <summary>The middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("Median: no samples", nameof(values));
        int half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
}
