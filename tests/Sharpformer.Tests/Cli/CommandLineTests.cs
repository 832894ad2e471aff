using Sharpformer.Text;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// What the parser would let through: misspelt commands and options are named with a suggestion, an unknown option is never
/// taken as text (exit 2), text starting with '-' goes after --, a group without its command lists them, and no arguments
/// print the usage.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-command-line-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string OneLineError((int ExitCode, string Stdout, string Stderr) result)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sharpformer: ", line);
        return line;
    }

    [Theory]
    [InlineData("trian", "'trian' is not a sharpformer command; did you mean 'train'?")]
    [InlineData("evl", "'evl' is not a sharpformer command; did you mean 'eval'?")]
    [InlineData("xyzzy", "'xyzzy' is not a sharpformer command (see sharpformer --help)")]
    public void AMisspeltCommandIsNamedWithTheNearestOne(string command, string expected) =>
        Assert.Contains(expected, OneLineError(CliRunner.Run(Timeout, command)));

    [Fact]
    public void AMisspeltSubcommandToo() =>
        Assert.Contains("'encdoe' is not a sharpformer tokenizer command; did you mean 'encode'?",
            OneLineError(CliRunner.Run(Timeout, "tokenizer", "encdoe", "hello")));

    [Theory]
    [InlineData("train --out x --eval-blue", "unknown option '--eval-blue' for 'sharpformer train'; did you mean '--eval-bleu'? " +
        "(see sharpformer train --help)")]
    [InlineData("bench attention --sq 64", "unknown option '--sq' for 'sharpformer bench attention'; did you mean '--seq'?")]
    [InlineData("viz curves --bogus=3", "unknown option '--bogus=3' for 'sharpformer viz curves' (see sharpformer viz curves --help)")]
    [InlineData("bench", "'sharpformer bench' needs one of its commands: gemm, tokenizer, decode, train, attention, allreduce, serve")]
    [InlineData("viz", "'sharpformer viz' needs one of its commands: attention,")]
    public void AnUnknownOptionIsNamedWithTheNearestOneAndAGroupAsksForItsCommands(string args, string expected) =>
        Assert.Contains(expected, OneLineError(CliRunner.Run(Timeout, args.Split(' '))));

    [Fact]
    public void AGroupsHelpIsStillItsHelp()
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "bench", "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains("allreduce", stdout);
    }

    [Theory]
    [InlineData("translate")]
    [InlineData("eval")]
    [InlineData("generate")]
    public void DecodingCommandsTakeThreads(string command)
    {
        string missing = Path.Combine(_root, "missing");
        string[] args = command switch
        {
            "translate" => ["translate", "--model", missing, "--threads", "1", "abc"],
            "eval" => ["eval", "--model", missing, "--threads", "1", "--task", "bible-en-es"],
            _ => ["generate", "--model", missing, "--threads", "1", "--prompt", "abc"],
        };
        var (code, _, stderr) = CliRunner.Run(Timeout, args);
        Assert.Equal(1, code);                                            // the missing model, not the option
        Assert.Contains("no such model directory", stderr);
        var zeroThreads = CliRunner.Run(Timeout, [.. args[..3], "--threads", "0", .. args[5..]]);
        Assert.Contains("--threads must be a whole number of at least 1", OneLineError(zeroThreads));
    }

    [Fact]
    public void NoArgumentsPrintTheUsage()
    {
        var (code, stdout, _) = CliRunner.Run(Timeout);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("translate", stdout);
    }

    [Fact]
    public void AnUnknownOptionIsAnErrorEvenWhereACommandTakesText()
    {
        string tokenizer = Path.Combine(_root, "tokenizer.json");
        BpeTrainer.Train(["hello world, hello there"], new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 1 }).Save(tokenizer);

        Assert.Contains("unknown option '--beams' for 'sharpformer translate'; did you mean '--beam'?",
            OneLineError(CliRunner.Run(Timeout, "translate", "--model", _root, "--beams", "4", "abc")));
        Assert.Contains("unknown option '--bogus' for 'sharpformer tokenizer encode'",
            OneLineError(CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", tokenizer, "--bogus", "x")));
        Assert.Contains("unknown option '-x' for 'sharpformer tokenizer decode'",
            OneLineError(CliRunner.Run(Timeout, "tokenizer", "decode", "--tokenizer", tokenizer, "-x")));

        // After --, the same words are text; a negative number is never an option.
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "tokenizer", "encode", "--tokenizer", tokenizer, "--", "--bogus", "-x");
        Assert.True(code == 0, stderr);
        var ids = stdout.TrimEnd('\n').Split(' ');
        Assert.Equal("--bogus -x\n", CliRunner.Run(Timeout, ["tokenizer", "decode", "--tokenizer", tokenizer, .. ids]).Stdout);
        Assert.Contains("'-1' is not a token id", CliRunner.Run(Timeout, "tokenizer", "decode", "--tokenizer", tokenizer, "-1").Stderr);
    }
}
