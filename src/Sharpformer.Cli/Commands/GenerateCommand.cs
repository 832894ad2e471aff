using System.CommandLine;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer generate</c>: continues a prompt with a decoder-only language model.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Model directory of a language model (`train --task austen`).",
            Required = true
        };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", Required = true };
        var maxTokens = CliOptions.Int("--max-tokens", "Most tokens to generate.", 100);
        var decoding = new DecodingFlags();
        var command = new Command("generate",
            "Continue a prompt with a trained language model (sampling by default options: --sample, --temperature …).")
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
