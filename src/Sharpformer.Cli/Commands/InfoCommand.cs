using System.CommandLine;
using System.Globalization;
using Sharpformer.Models;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer info</c>: a model's configuration and its parameters per module.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { HelpName = "DIR", Description = "Model directory.", Required = true };
        var command = new Command("info", "Show a model's configuration and parameter count per module.") { model };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string directory = result.GetValue(model)!;
            var files = ModelDirectory.Open(directory);
            var c = files.Model.Config;
            var output = Console.Out;
            static string YesNo(bool value) => value ? "yes" : "no";
            output.WriteLine($"{directory}: " +
                $"{(c.Architecture == NN.Architecture.DecoderOnly ? "decoder-only language model" : "encoder-decoder Transformer")}");
            string layers = c.Architecture == NN.Architecture.DecoderOnly
                ? $"{c.DecoderLayers} blocks" : $"{c.EncoderLayers} encoder + {c.DecoderLayers} decoder layers";
            output.WriteLine($"  d_model {c.DModel}, {c.Heads} heads, d_ff {c.DimFeedForward}, {layers}");
            string norm = c.Norm == NN.NormPlacement.Pre ? "pre" : "post";
            string activation = c.Activation == NN.ActivationKind.Gelu ? "GELU" : "ReLU";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {norm}-norm, {activation}, dropout {c.Dropout}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  vocabulary {c.TargetVocab:N0} ({files.Tokenizer.Type} tokenizer), shared embeddings: {YesNo(c.ShareEmbeddings)}, " +
                $"tied output: {YesNo(c.TieOutput)}"));
            string positions = c.Positional == NN.PositionalKind.Rope
                ? string.Create(CultureInfo.InvariantCulture, $"rotary positions (RoPE, base {c.RopeBase})") : "sinusoidal positions";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {positions}, max length {c.MaxLength:N0}"));
            long int8Values = files.Model.Int8ValueCount();
            output.WriteLine(c.Weights == NN.WeightFormat.Int8
                ? string.Create(CultureInfo.InvariantCulture,
                    $"  int8 weights ({int8Values:N0} values with a float32 scale per row), float32 biases and norms (inference only)")
                : "  float32 weights");
            if (LoraDirectory.Holds(directory))
            {
                var adapters = IO.SafeTensors.Read(Path.Combine(directory, LoraDirectory.AdapterFile)).Tensors;
                string described = LoraDirectory.Describe(LoraDirectory.ReadConfig(directory));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {described}: " +
                    $"{adapters.Sum(t => (long)t.Value.Length):N0} adapter values, merged into the weights counted below"));
            }
            output.WriteLine("  parameters per module:");
            foreach (var (name, child) in files.Model.Children())
            {
                long count = child.ParameterCount() + child.Int8ValueCount();
                if (count > 0) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {name,-14} {count,12:N0}"));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {"total",-14} {files.Model.ParameterCount() + int8Values,12:N0} (shared tensors once)"));
            return 0;
        }));
        return command;
    }
}
