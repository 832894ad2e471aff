using System.Globalization;
using System.Text.RegularExpressions;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// The "Expected output" section a docs chapter ends with: the command that runs its example and what it prints, checked
/// against a real run. Each shown line must appear in the output, in order (lines between may be left out, and a line of
/// <c>⋮</c> says so); <c>⋯</c> stands for text that varies (a time, a speed, a path); numbers match to 0.2 % (or 1e-3
/// near zero), since the last digit of a float can differ between the AVX2 and AVX-512 kernels; one in E notation (a
/// measured error, 4.8E-007) within a factor of 10 (zero exactly), since rounding errors differ between kernels but a
/// regression shows as orders of magnitude; and a number marked
/// <c>≈</c> — one that a different CPU's rounding moves further (a training run's outcome, a tile's scratch) — within 5 %
/// or one unit of its last digit. Runs of spaces match any run (a minus sign shifts a padded column).
/// </summary>
public static partial class ExpectedOutput
{
    private const string Varies = "⋯", LeftOut = "⋮";
    private const char Approximately = '≈';

    /// <summary>
    /// The shown lines of <paramref name="chapter"/>'s section, once it is seen to run the example as the test does, and the
    /// folder the docs name where the test passes "{out}" (the example prints it).
    /// </summary>
    public static (string[] Lines, string? Folder) Of(string chapter, string example, IReadOnlyList<string> args)
    {
        string text = File.ReadAllText(Path.Combine(CliRunner.RepositoryRoot, "docs", chapter));
        int start = text.IndexOf("\n## Expected output\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"{chapter} has no '## Expected output' section");
        string section = text[start..];
        // The command as the docs show it: an output folder of the test ({out}) is any one word there.
        string command = $"examples/{example} -c Release" + (args.Count == 0 ? "" : " -- " + string.Join(" ", args));
        string pattern = Regex.Escape(command).Replace(Regex.Escape("{out}"), @"(?<out>\S+)", StringComparison.Ordinal) + "`";
        var shown = Regex.Match(section, pattern);
        Assert.True(shown.Success, $"{chapter}: the expected output should be that of `dotnet run --project {command}`");
        int open = section.IndexOf("```text\n", StringComparison.Ordinal);
        Assert.True(open >= 0, $"{chapter}: the expected output is not in a ```text block");
        int close = section.IndexOf("\n```", open + 8, StringComparison.Ordinal);
        return (section[(open + 8)..close].Split('\n'), shown.Groups["out"].Success ? shown.Groups["out"].Value : null);
    }

    /// <summary>Fails unless every shown line (but <c>⋮</c>) matches a line of <paramref name="output"/>, in order.</summary>
    public static void Check(string chapter, string[] shown, string output)
    {
        string[] lines = [.. output.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())];
        int next = 0;
        foreach (string expected in shown.Select(l => l.TrimEnd()).Where(l => l != LeftOut))
        {
            var (regex, numbers) = Pattern(expected);
            int found = Array.FindIndex(lines, next, line => Matches(regex, numbers, line));
            Assert.True(found >= 0,
                $"{chapter}: the example no longer prints (after line {next} of its output)\n  {expected}\nIt printed:\n{output}");
            next = found + 1;
        }
    }

    private enum Kind { Count, Decimal, Magnitude, Approximate }

    // A number of a shown line: its value, how it matches, and for one marked ≈ its last digit's unit.
    private readonly record struct Shown(double Value, Kind Kind, double Unit = 0);

    // A regex for the shown line: ⋯ matches anything, each number is captured to be compared with a tolerance.
    private static (Regex Regex, Shown[] Numbers) Pattern(string line)
    {
        var numbers = new List<Shown>();
        var pattern = new System.Text.StringBuilder("^");
        string[] parts = line.Split(Varies);
        for (int p = 0; p < parts.Length; p++)
        {
            if (p > 0) pattern.Append(".*");
            int at = 0;
            foreach (Match m in Number().Matches(parts[p]))
            {
                bool approximate = m.Index > 0 && parts[p][m.Index - 1] == Approximately;
                pattern.Append(Literal(parts[p][at..(approximate ? m.Index - 1 : m.Index)])).Append('(').Append(NumberPattern).Append(')');
                numbers.Add(Classify(m.Value, approximate));
                at = m.Index + m.Length;
            }
            pattern.Append(Literal(parts[p][at..]));
        }
        return (new Regex(pattern.Append('$').ToString()), [.. numbers]);
    }

    // Text between numbers, any run of spaces matching any other.
    private static string Literal(string text) => Regex.Replace(Regex.Escape(text), @"(?:\\ )+", " +");

    // 1,024 is a count; 0.85 a decimal; 4.8E-007 a magnitude; ≈0.85 approximate, its unit 0.01 (≈4.8E-007: 1e-8).
    private static Shown Classify(string number, bool approximate)
    {
        int e = number.IndexOfAny(['e', 'E']), point = number.IndexOf('.', StringComparison.Ordinal);
        string mantissa = e < 0 ? number : number[..e];
        int decimals = point < 0 ? 0 : mantissa.Length - point - 1;
        int exponent = e < 0 ? 0 : int.Parse(number[(e + 1)..], CultureInfo.InvariantCulture);
        if (approximate) return new Shown(Parse(number), Kind.Approximate, Math.Pow(10, exponent - decimals));
        return new Shown(Parse(number), e >= 0 ? Kind.Magnitude : point >= 0 ? Kind.Decimal : Kind.Count);
    }

    // Counts equal; decimals within 0.2 % or 1e-3; magnitudes within a factor of 10; ≈ within 5 % or one unit.
    private static bool Matches(Regex regex, Shown[] numbers, string line)
    {
        var match = regex.Match(line);
        if (!match.Success) return false;
        var actual = match.Groups.Cast<Group>().Skip(1).Select(g => Parse(g.Value)).ToArray();
        return actual.Length == numbers.Length && numbers.Zip(actual).All(p =>
        {
            var (shown, value) = p;
            double off = Math.Abs(shown.Value - value);
            return shown.Kind switch
            {
                Kind.Count => off == 0,
                Kind.Decimal => off <= Math.Max(1e-3, 2e-3 * Math.Abs(shown.Value)),
                Kind.Magnitude => shown.Value == 0 ? value == 0
                    : Math.Sign(shown.Value) == Math.Sign(value) && Math.Abs(Math.Log10(value / shown.Value)) <= 1,
                _ => off <= Math.Max(0.05 * Math.Abs(shown.Value), shown.Unit) * (1 + 1e-9),
            };
        });
    }

    private static double Parse(string number) =>
        double.Parse(number.Replace(",", "", StringComparison.Ordinal).Replace('−', '-'), NumberStyles.Float, CultureInfo.InvariantCulture);

    private const string NumberPattern = @"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?";

    [GeneratedRegex(NumberPattern)]
    private static partial Regex Number();
}
