using System.Text.RegularExpressions;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// Every <c>sharpformer …</c> command line in a code block of the README, the docs, configs/README and the examples'
/// notes names commands and options the CLI has (as its --help lists them): a renamed or removed flag cannot stay in
/// the documentation. The README's summary lines, <c>sharpformer viz (attention --model DIR | rope [--dim N]) [--out F]</c>
/// (over one or more lines), are read as one line per alternative.
/// </summary>
public sealed partial class DocumentedCommandsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (HashSet<string> Options, HashSet<string> Commands)> _help = [];

    [Fact]
    public void EveryDocumentedCommandLineUsesCommandsAndOptionsTheCliHas()
    {
        var problems = new List<string>();
        int checkedLines = 0;
        foreach (var (file, number, line) in DocumentedCommandLines())
        {
            checkedLines++;
            foreach (var words in Alternatives(line))
            {
                var path = new List<string>();
                while (path.Count < words.Count && Help(path).Commands.Contains(words[path.Count])) path.Add(words[path.Count]);
                var rest = words.Skip(path.Count).ToList();
                if (path.Count == 0 && rest.Count > 0 && !rest[0].StartsWith('-'))
                    problems.Add($"{file}:{number}: no command '{rest[0]}' ({line})");
                var known = Help(path).Options;
                foreach (string option in rest.Select(w => OptionName().Match(w)).Where(m => m.Success).Select(m => m.Groups[1].Value))
                {
                    if (!known.Contains(option))
                        problems.Add($"{file}:{number}: 'sharpformer {string.Join(' ', path)}' has no option {option} ({line})");
                }
            }
        }
        Assert.True(checkedLines > 100, $"only {checkedLines} documented command lines found: the search is broken");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    // The text after "sharpformer" of each command line in a fenced block (continued lines joined, comments dropped).
    private static IEnumerable<(string File, int Line, string Command)> DocumentedCommandLines()
    {
        string root = CliRunner.RepositoryRoot;
        var files = new[] { "README.md", Path.Combine("configs", "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Select(f => Path.GetRelativePath(root, f)))
            .Concat(Directory.GetFiles(Path.Combine(root, "examples"), "*.md", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
                .Select(f => Path.GetRelativePath(root, f)));
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllLines(Path.Combine(root, file));
            bool fenced = false;
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    fenced = !fenced;
                    continue;
                }
                if (!fenced) continue;
                int first = i;
                string joined = lines[i];
                // A continued line, or an alternative left open.
                while (i + 1 < lines.Length && (joined.TrimEnd().EndsWith('\\') || Unclosed(joined)))
                    joined = joined.TrimEnd().TrimEnd('\\') + " " + lines[++i];
                var command = CommandStart().Match(joined);
                if (!command.Success) continue;
                yield return (file, first + 1, Comment().Replace(command.Groups[1].Value, "").Trim());
            }
        }
    }

    private static bool Unclosed(string line) => line.Count(c => c == '(') > line.Count(c => c == ')');

    // "viz (attention --model DIR | rope [--dim N]) [--out F]" → ["viz", "attention", "--model", "DIR", "[--out", "F]"], …
    private static IEnumerable<List<string>> Alternatives(string command)
    {
        int open = command.IndexOf('(');
        if (open < 0 || command.IndexOf(')', open) is var close && close < 0)
        {
            yield return [.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
            yield break;
        }
        string before = command[..open], after = command[(close + 1)..];
        foreach (string choice in command[(open + 1)..close].Split('|'))
            yield return [.. $"{before} {choice} {after}".Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    // The options and subcommands --help lists for a command path.
    private (HashSet<string> Options, HashSet<string> Commands) Help(List<string> path)
    {
        string key = string.Join(' ', path);
        if (_help.TryGetValue(key, out var known)) return known;
        var (code, stdout, stderr) = CliRunner.Run(Timeout, [.. path, "--help"]);
        Assert.True(code == 0, $"sharpformer {key} --help: {stderr}");
        string[] sections = stdout.Split("Commands:");
        known = ([.. HelpOption().Matches(sections[0]).Select(m => m.Groups[1].Value)],
                 sections.Length > 1 ? [.. HelpCommand().Matches(sections[1]).Select(m => m.Groups[1].Value)] : []);
        _help[key] = known;
        return known;
    }

    [GeneratedRegex(@"(?<![\w/.-])sharpformer\s+(.*)$")]
    private static partial Regex CommandStart();

    [GeneratedRegex(@"\s#\s.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\[?(--[a-z][a-z0-9-]*)")]
    private static partial Regex OptionName();

    [GeneratedRegex(@"(?m)^\s+(?:-\S+, )*(--[a-z0-9][a-z0-9-]*)")]
    private static partial Regex HelpOption();

    [GeneratedRegex(@"(?m)^  ([a-z][a-z0-9-]*)")]
    private static partial Regex HelpCommand();
}
