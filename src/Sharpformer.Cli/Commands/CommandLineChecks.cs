using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// What the parser lets through that a user would want refused: a misspelt command (named, with the nearest one
/// suggested), and an unknown option that a command taking free text (translate's TEXT, tokenizer's TEXT and IDS) would
/// otherwise translate as text. Text that starts with '-' is still possible after <c>--</c>.
/// </summary>
internal static class CommandLineChecks
{
    /// <summary>The problem with the command path of <paramref name="args"/>, or null.</summary>
    public static string? UnknownCommand(Command root, string[] args)
    {
        var command = root;
        foreach (string arg in args)
        {
            if (arg.StartsWith('-') || command.Subcommands.Count == 0 || command.Arguments.Count > 0) return null;
            var next = command.Subcommands.FirstOrDefault(c => c.Name == arg || c.Aliases.Contains(arg));
            if (next is null)
            {
                string path = command == root ? "sharpformer" : $"sharpformer {command.Name}";
                var nearest = command.Subcommands.Select(c => (c.Name, Distance: Distance(c.Name, arg)))
                    .Where(c => c.Distance <= Math.Max(1, arg.Length / 3)).OrderBy(c => c.Distance).FirstOrDefault();
                return $"'{arg}' is not a {path} command" + (nearest.Name is null ? "" : $"; did you mean '{nearest.Name}'?") +
                       $" (see {path} --help)";
            }
            command = next;
        }
        return null;
    }

    /// <summary>An option-like word that the parser took as a free-text argument before any <c>--</c>, or null.</summary>
    public static string? OptionTakenAsText(ParseResult parsed, string[] args)
    {
        int doubleDash = Array.IndexOf(args, "--");
        var beforeDoubleDash = (doubleDash < 0 ? args : args[..doubleDash]).ToHashSet(StringComparer.Ordinal);
        foreach (var argument in parsed.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens)
                if (LooksLikeOption(token.Value) && beforeDoubleDash.Contains(token.Value))
                    return $"unknown option '{token.Value}' for '{parsed.CommandResult.Command.Name}' (see --help; text that starts " +
                           "with '-' goes after --)";
        return null;
    }

    // "--name" or "-x": not a negative number such as "-1".
    private static bool LooksLikeOption(string word) =>
        word.Length > 1 && word[0] == '-' && (word[1] == '-' ? word.Length > 2 : char.IsLetter(word[1]));

    // Edits from a to b: insertions, deletions, substitutions and swaps of two neighbours ("trian" is one from "train").
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
