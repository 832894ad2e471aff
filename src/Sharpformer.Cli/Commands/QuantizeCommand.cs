using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Models;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer quantize</c>: writes a model directory whose weight matrices are int8 with a scale per row.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "Model directory (float32) to quantize.",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Directory to write the int8 model to.",
            Required = true,
        };
        var command = new Command("quantize",
            "Write an int8 copy of a model: Linear, attention and embedding matrices as int8 with a float32 scale per " +
            "output row (a quarter of the bytes, faster decoding); translate, eval and generate load it as any model.")
        {
            model, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string source = result.GetValue(model)!, target = result.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            var files = ModelCopies.Quantize(source, target);   // a LoRA run's adapters are merged into its base
            long before = new FileInfo(Path.Combine(LoraDirectory.BaseOrSelf(source), ModelDirectory.WeightsFile)).Length;
            long after = new FileInfo(Path.Combine(target, ModelDirectory.WeightsFile)).Length;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"quantize: {files.Model.NamedInt8Weights().Count()} matrices to int8; {ModelDirectory.WeightsFile} " +
                $"{before / 1e6:F2} MB → {after / 1e6:F2} MB ({100.0 * after / before:F0}%), " +
                $"in {clock.Elapsed.TotalSeconds:F1} s; wrote {target}"));
            return 0;
        }));
        return command;
    }
}
