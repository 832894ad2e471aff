using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// What the parser lets through or words poorly, said in one line: a misspelt command or option (named, with the nearest
/// one suggested), an unknown option that a command taking free text (translate's TEXT, tokenizer's TEXT and IDS) would
/// otherwise translate as text (text that starts with '-' is still possible after <c>--</c>), and a group of commands
/// given without one.
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
                string? nearest = Nearest(command.Subcommands.Select(c => c.Name), arg);
                return $"'{arg}' is not a {path} command" + (nearest is null ? "" : $"; did you mean '{nearest}'?") +
                       $" (see {path} --help)";
            }
            command = next;
        }
        return null;
    }

    /// <summary>
    /// An option-like word that the parser took as a free-text argument before any <c>--</c>, or could not match at all,
    /// named with the nearest option of its command; or null.
    /// </summary>
    public static string? UnknownOption(ParseResult parsed, string[] args)
    {
        int doubleDash = Array.IndexOf(args, "--");
        var beforeDoubleDash = (doubleDash < 0 ? args : args[..doubleDash]).ToHashSet(StringComparer.Ordinal);
        var takenAsText = parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(argument => argument.Tokens)
            .Select(token => token.Value).Where(word => LooksLikeOption(word) && beforeDoubleDash.Contains(word));
        string? unknown = takenAsText.Concat(parsed.UnmatchedTokens.Where(LooksLikeOption)).FirstOrDefault();
        if (unknown is null) return null;
        var command = parsed.CommandResult.Command;
        string path = CommandPath(parsed.CommandResult);
        string word = unknown.Split('=', 2)[0];
        var nearest = Nearest(command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)), word);
        return $"unknown option '{unknown}' for '{path}'" + (nearest is null ? "" : $"; did you mean '{nearest}'?") +
               $" (see {path} --help" + (command.Arguments.Count > 0 ? "; text that starts with '-' goes after --)" : ")");
    }

    /// <summary>A group of commands (bench, tokenizer, viz, …) given without one of them, or null.</summary>
    public static string? MissingCommand(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        if (parsed.Action is not ParseErrorAction || command.Subcommands.Count == 0 || command.Action is not null) return null;
        string path = CommandPath(parsed.CommandResult);
        return $"'{path}' needs one of its commands: {string.Join(", ", command.Subcommands.Select(c => c.Name))} " +
               $"(see {path} --help)";
    }

    // "sharpformer bench train".
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
            if (at is CommandResult command) names.Insert(0, command.Command.Name);
        return string.Join(' ', names);
    }

    // The candidate a few edits from word, if any ("--eval-blue" is one from "--eval-bleu").
    private static string? Nearest(IEnumerable<string> candidates, string word) =>
        candidates.Select(name => (Name: name, Distance: Distance(name, word)))
            .Where(c => c.Distance <= Math.Max(1, word.Length / 3)).OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();

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
