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
            string run = result.GetValue(model)!, target = result.GetValue(output)!;
            var steps = CheckpointAverage.Write(run, result.GetValue(last), target);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"average: the weights of steps {string.Join(", ", steps)} averaged in {clock.Elapsed.TotalSeconds:F1} s; wrote {target}"));
            // Checkpoints from far apart average models of different quality (the paper's spanned the last few percent of its run).
            if (steps.Count > 1 && FinalStep(run) is int final && steps[^1] - steps[0] > final / 4)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sharpformer: warning: the checkpoints span steps {steps[0]}–{steps[^1]}, " +
                    $"{100.0 * (steps[^1] - steps[0]) / final:F0}% " +
                    $"of the run's {final}; averaging helps over the last few percent of a run (save more often with --save-every)"));
            return 0;
        }));
        return command;
    }

    // The run's last checkpointed step, if its checkpoint reads (the average is written either way).
    private static int? FinalStep(string run)
    {
        try
        {
            return TrainerCheckpoint.TryRead(run)?.Step;
        }
        catch (Sharpformer.IO.InvalidFileException)
        {
            return null;
        }
    }
}
