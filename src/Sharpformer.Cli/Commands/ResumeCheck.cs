using System.CommandLine;
using System.Globalization;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// <c>train --resume</c> continues with the settings its checkpoint recorded, so a flag given again with another value
/// would be silently ignored. <see cref="Continue"/> refuses such a run with the list of differences, or with
/// <c>--force</c> continues with the new values (the run is then no longer the one that never stopped).
/// </summary>
internal static class ResumeCheck
{
    /// <summary>A flag given with a value other than the checkpoint's.</summary>
    public sealed record Difference(string Flag, string Given, string Saved);

    /// <summary>The difference when <paramref name="option"/> was given with a value other than <paramref name="saved"/>.</summary>
    public static Difference? Compare<T>(ParseResult result, Option<T> option, T saved)
    {
        if (result.GetResult(option) is not { Implicit: false }) return null;
        var given = result.GetValue(option);
        return EqualityComparer<T>.Default.Equals(given, saved) ? null : new Difference(option.Name, Text(given), Text(saved));
    }

    /// <summary>
    /// The options to continue <paramref name="directory"/>'s run with: null (the checkpoint's own) when nothing differs,
    /// <paramref name="given"/> under <paramref name="force"/>, and otherwise an error listing the differences. The model's
    /// positions cannot change at all (its weights were trained with them), nor can the seed (the data order and the dropout
    /// generators continue from the checkpoint's position in the old one).
    /// </summary>
    public static TrainingOptions? Continue(string directory, TrainingOptions given, bool force, IEnumerable<Difference?> compared)
    {
        var differences = compared.OfType<Difference>().ToList();
        if (differences.Count == 0) return null;
        string list = string.Join(", ", differences.Select(d => $"{d.Flag} {d.Given} (the checkpoint's: {d.Saved})"));
        if (differences.Any(d => d.Flag is "--positional" or "--rope-base"))
            throw new ArgumentException($"--resume cannot change the model's positions: {list}");
        if (differences.Any(d => d.Flag is "--seed"))
            throw new ArgumentException($"--resume cannot change the seed, whose data order and dropout it continues: {list}");
        if (!force)
            throw new ArgumentException($"--resume continues with the checkpoint's settings, and these differ: {list}; drop them, " +
                                        "or add --force to continue with the new values");
        Console.Error.WriteLine($"sharpformer: warning: --force: {directory} continues with {list}");
        return given;
    }

    private static string Text<T>(T value) => value is IFormattable formattable
        ? formattable.ToString(null, CultureInfo.InvariantCulture)
        : value?.ToString() ?? "";
}
