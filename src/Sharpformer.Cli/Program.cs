using System.CommandLine;
using System.CommandLine.Help;
using Sharpformer.Cli.Commands;
using Sharpformer.Distributed;

// Under mpirun every rank writes into a pseudo-terminal, which .NET's console would set up as a terminal, writing its
// keypad escape sequence into the output (and breaking --json): a dumb terminal has none.
if (MpiWorld.IsLaunched) Environment.SetEnvironmentVariable("TERM", "dumb");

// A plain root command rather than RootCommand, whose name would follow the assembly (Sharpformer.Cli).
var root = new Command("sharpformer", "Sharpformer: the Transformer of \"Attention Is All You Need\", from scratch in C#.")
{
    new HelpOption(),
    new VersionOption(),
    DemoCommand.Create(),
    TrainCommand.Create(),
    TranslateCommand.Create(),
    GenerateCommand.Create(),
    EvalCommand.Create(),
    InfoCommand.Create(),
    QuantizeCommand.Create(),
    AverageCommand.Create(),
    ExportCommand.Create(),
    LoraCommand.Create(),
    ServeCommand.Create(),
    BenchCommand.Create(),
    TokenizerCommand.Create(),
    VizCommand.Create(),
};

// No arguments: the usage.
if (args.Length == 0) return root.Parse(["--help"]).Invoke();

// Bad input: one line on standard error and a non-zero exit code, not the parser's help screen.
if (CommandLineChecks.UnknownCommand(root, args) is { } unknownCommand)
{
    Console.Error.WriteLine($"sharpformer: {unknownCommand}");
    return 2;
}
ParseResult parsed = root.Parse(args);
if ((CommandLineChecks.UnknownOption(parsed, args) ?? CommandLineChecks.MissingCommand(parsed)) is { } problem)
{
    Console.Error.WriteLine($"sharpformer: {problem}");
    return 2;
}
if (parsed.Errors.Count > 0)
{
    // Some parser messages span lines (e.g. the list of accepted values): keep them on one.
    string message = string.Join(' ',
        parsed.Errors[0].Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    Console.Error.WriteLine($"sharpformer: {message}");
    return 2;
}
return parsed.Invoke();
