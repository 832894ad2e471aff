using System.CommandLine;
using System.Globalization;

namespace Sharpformer.Cli.Commands;

/// <summary>Options shared by several commands, with parsers that reject bad values in one line.</summary>
internal static class CliOptions
{
    /// <summary>
    /// A whole number of at least <paramref name="minimum"/> (and at most <paramref name="maximum"/>), shown as N in help; a
    /// null default is not shown (the description says what happens without the option, and the command asks whether it was
    /// given).
    /// </summary>
    public static Option<int> Int(string name, string description, int? defaultValue, int minimum = 1, int maximum = int.MaxValue)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = "N",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum
                    && value <= maximum) return value;
                result.AddError(maximum == int.MaxValue ? $"{name} must be a whole number of at least {minimum}, not '{text}'"
                                                        : $"{name} must be a whole number from {minimum} to {maximum}, not '{text}'");
                return defaultValue ?? 0;
            },
        };
        if (defaultValue is int given) option.DefaultValueFactory = _ => given;
        return option;
    }

    /// <summary>A finite number in [minimum, maximum], shown as X in help; a null default is not shown (see <see cref="Int"/>).</summary>
    public static Option<float> Float(string name, string description, float? defaultValue, float minimum, float maximum)
    {
        var option = new Option<float>(name)
        {
            Description = description,
            HelpName = "X",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
                    && value >= minimum && value <= maximum) return value;
                result.AddError($"{name} must be a number in [{minimum.ToString(CultureInfo.InvariantCulture)}, " +
                                $"{maximum.ToString(CultureInfo.InvariantCulture)}], not '{text}'");
                return defaultValue ?? 0f;
            },
        };
        if (defaultValue is float given) option.DefaultValueFactory = _ => given;
        return option;
    }

    /// <summary>
    /// Comma-separated whole numbers, each at least <paramref name="minimum"/>: "512,1024" (help shows the default so, in a
    /// form that can be typed).
    /// </summary>
    public static Option<NumberList> IntList(string name, string description, int[] defaultValue, int minimum = 1) => new(name)
    {
        Description = description,
        HelpName = "N,N,…",
        DefaultValueFactory = _ => new NumberList(defaultValue),
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            var parts = text.Split(',');
            var values = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) && values[i] >= minimum)
                    continue;
                result.AddError($"{name} must be whole numbers of at least {minimum}, separated by commas, not '{text}'");
                return new NumberList(defaultValue);
            }
            return new NumberList(values);
        },
    };

    /// <summary>The value of an <see cref="IntList"/> option, written as it is typed ("1,8,64").</summary>
    public sealed record NumberList(int[] Values)
    {
        /// <inheritdoc/>
        public override string ToString() => string.Join(',', Values);
    }

    /// <summary>--threads: kernel threads, default all cores (under mpirun, a rank's bound cores or its share of the machine's).</summary>
    public static Option<int> Threads() =>
        Int("--threads", "Threads to use: every core, or under mpirun the cores a rank is bound to, else the machine's cores " +
            "shared among its ranks.", Distributed.RankThreads.Default);

    /// <summary>--json: one JSON object on standard output.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on standard output." };
}
