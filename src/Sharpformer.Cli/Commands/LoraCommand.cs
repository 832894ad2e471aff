using System.CommandLine;
using Sharpformer.Models;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer lora merge</c>: a plain model directory from a LoRA run (base weights + the adapters' updates).</summary>
internal static class LoraCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "A LoRA run directory (from train --init-from … --lora-rank R).", Required = true,
        };
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Directory to write the merged model to.",
            Required = true,
        };
        var merge = new Command("merge", "Write the base model with the adapters' updates added into its weights: a plain model directory.")
        {
            model, output,
        };
        merge.SetAction(result => CommandErrors.Run(() =>
        {
            string source = result.GetValue(model)!, target = result.GetValue(output)!;
            ModelCopies.MergeLora(source, target);
            Console.Error.WriteLine($"lora merge: {LoraDirectory.Describe(LoraDirectory.ReadConfig(source))} → {target}");
            return 0;
        }));
        return new Command("lora", "LoRA adapters: merge a fine-tuning run's adapters into its base model.") { merge };
    }
}
