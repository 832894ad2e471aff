using System.CommandLine;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer generate</c>: continues a prompt with a decoder-only language model.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "Model directory of a language model (`train --task austen`).",
            Required = true
        };
        var prompt = new Option<string>("--prompt") { HelpName = "TEXT", Description = "Text to continue.", Required = true };
        var maxTokens = CliOptions.Int("--max-tokens", "Most tokens to generate.", 100);
        var decoding = new DecodingFlags(beamSearch: false);
        var command = new Command("generate",
            "Continue a prompt with a trained decoder-only language model: greedy by default, or --sample.")
        {
            model, prompt, maxTokens
        };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var generator = ModelKinds.OpenGenerator(result.GetValue(model)!);
            string text = result.GetValue(prompt)!;
            Console.WriteLine(text + generator.Generate(text, decoding.Read(result), result.GetValue(maxTokens)));
            return 0;
        }));
        return command;
    }
}
