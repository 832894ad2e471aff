using System.Text.RegularExpressions;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// The help of every command, read as a new user reads it: placeholders that say what is expected, each default once,
/// no option that the command refuses; and the smaller promises of the command line: `info` for people, `eval --output`,
/// a warmup longer than the run, the demo's table in line.
/// </summary>
public sealed partial class CommandLineHelpTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-help-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> Commands() =>
    [
        "demo", "train", "translate", "generate", "eval", "info", "serve", "quantize", "export onnx", "lora merge",
        "bench gemm", "bench train", "bench decode", "bench tokenizer", "bench attention", "bench allreduce", "bench serve",
        "tokenizer train", "tokenizer encode", "tokenizer decode", "tokenizer export",
        "viz attention", "viz positional", "viz rope", "viz memory", "viz curves", "viz embeddings",
    ];

    [GeneratedRegex(@"^\s+(?:-[a-z?], )*(--[a-z-]+)(?: <([^>]+)>)?\s+(.*)$")]
    private static partial Regex OptionLine();

    [Theory]
    [MemberData(nameof(Commands))]
    public void HelpNamesWhatEachOptionTakesAndEachDefaultOnce(string command)
    {
        var (code, help, stderr) = CliRunner.Run(Timeout, [.. command.Split(' '), "--help"]);
        Assert.True(code == 0, stderr);
        var options = help.Split('\n').Select(line => OptionLine().Match(line)).Where(m => m.Success).ToList();
        Assert.NotEmpty(options);
        foreach (var option in options)
        {
            string name = option.Groups[1].Value, placeholder = option.Groups[2].Value, text = option.Groups[3].Value;
            // A placeholder is a kind in capitals (N, X, DIR, FILE, TEXT …) or the accepted values, never the option's own name.
            if (placeholder.Length > 0)
            {
                Assert.True(Regex.IsMatch(placeholder, @"^([A-Z][A-Z,…]*|[a-z0-9_-]+(\|[a-z0-9_-]+)+)$"),
                    $"{command} {name} <{placeholder}>");
            }
            Assert.False(text.Contains("(default", StringComparison.Ordinal) && text.Contains("[default:", StringComparison.Ordinal),
                $"{command} {name}: the default is given twice: {text}");
            if (name == "--beam" || (name == "--max-tokens" && command == "translate")) Assert.DoesNotContain("[default: 0]", text);
            // A default is shown as it would be typed: lists with commas, never a sentinel the option refuses.
            Assert.DoesNotMatch(@"\[default: [^\]]*\|", text);
            Assert.DoesNotContain(int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), text);
            if (name is "--epochs" or "--lora-rank" or "--rope-base") Assert.DoesNotContain("[default: 0]", text);
        }
    }

    [Fact]
    public void GenerateOffersNoBeamSearchAndSaysItIsGreedyByDefault()
    {
        var (_, help, _) = CliRunner.Run(Timeout, "generate", "--help");
        Assert.Contains("greedy by default", help);
        Assert.DoesNotContain("--beam", help);
        Assert.DoesNotContain("--length-penalty", help);
    }

    [Fact]
    public void InfoEvalOutputAndTheWarmupWarning()
    {
        string model = Path.Combine(_root, "reverse");
        var (code, _, stderr) = CliRunner.Run(Timeout, "train", "--task", "reverse", "--out", model, "--steps", "4", "--warmup", "50",
            "--eval-every", "0", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("warning: the warmup (50 updates) is longer than the run (4)", stderr);

        var (infoCode, info, infoErr) = CliRunner.Run(Timeout, "info", "--model", model);
        Assert.True(infoCode == 0, infoErr);
        Assert.Contains("post-norm, ReLU, dropout 0.1", info);
        Assert.Contains("shared embeddings: yes, tied output: no", info);
        Assert.DoesNotContain("True", info);

        string pairs = Path.Combine(_root, "pairs.tsv"), hypotheses = Path.Combine(_root, "hypotheses.txt");
        string[] sources = ["abc", "ponm", "dcbaef"];
        File.WriteAllLines(pairs, sources.Select(s => $"{s}\t{new string([.. s.Reverse()])}"));
        var (evalCode, _, evalErr) = CliRunner.Run(Timeout, "eval", "--model", model, "--data", pairs, "--output", hypotheses);
        Assert.True(evalCode == 0, evalErr);
        Assert.Contains($"3 hypotheses written to {hypotheses}", evalErr);
        var (_, translated, _) = CliRunner.Run(Timeout, ["translate", "--model", model, .. sources]);
        Assert.Equal(translated, File.ReadAllText(hypotheses));
    }

    [Fact]
    public void TheDemosTableStaysInLine()
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "demo", "--out", Path.Combine(_root, "demo"), "--steps", "20");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n');
        int header = Array.FindIndex(lines, l => l.TrimStart().StartsWith("source", StringComparison.Ordinal));
        int[] columns = [.. new[] { "greedy", "beam 4", "sample (T = 1)" }.Select(h => lines[header].IndexOf(h, StringComparison.Ordinal))];
        var rows = lines.Skip(header + 1).TakeWhile(l => l.Trim().Length > 0).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
            foreach (int column in columns)
                Assert.True(row.Length > column && row[column - 1] == ' ' && row[column] != ' ', $"out of line at {column}: '{row}'");
    }
}
