using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer average</c>: the mean of a run's last kept checkpoints as a model directory.</summary>
internal static class AverageCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "Run directory trained with --average-last K (its checkpoints/ holds the kept weights).",
            Required = true,
        };
        var last = CliOptions.Int("--last", "Average the last N kept checkpoints.", null);
        last.Required = true;
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Model directory to write the average to.",
            Required = true,
        };
        var command = new Command("average",
            "Average the weights of a run's last checkpoints (as the paper did) into a model directory that translate, eval " +
            "and the library load as any model.")
        {
            model, last, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            string target = result.GetValue(output)!;
            var steps = CheckpointAverage.Write(result.GetValue(model)!, result.GetValue(last), target);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"average: the weights of steps {string.Join(", ", steps)} averaged in {clock.Elapsed.TotalSeconds:F1} s; wrote {target}"));
            return 0;
        }));
        return command;
    }
}
