using System.CommandLine;
using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer generate</c>: continues a prompt with a decoder-only language model.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory of a language model (`train --task austen`).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", Required = true };
        var maxTokens = CliOptions.Int("--max-tokens", "Most tokens to generate.", 100);
        var decoding = new DecodingFlags();
        var command = new Command("generate", "Continue a prompt with a trained language model (sampling by default options: --sample, --temperature …).") { model, prompt, maxTokens };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var files = ModelFiles.Open(result.GetValue(model)!);
            var lm = files.LanguageModel;
            var options = decoding.Read(result);
            if (options.Method == DecodingMethod.Beam) throw new ArgumentException("generate samples or decodes greedily; --beam is for translate");
            var ids = files.Tokenizer.Encode(result.GetValue(prompt)!);
            if (ids.Length == 0) throw new ArgumentException("the prompt is empty");
            int room = lm.Config.MaxLength - ids.Length;
            if (room < 1) throw new ArgumentException($"the prompt has {ids.Length} tokens; the model handles {lm.Config.MaxLength} in all");
            var sampling = options.Method == DecodingMethod.Sample ? options.Sampling : new SamplingOptions(Temperature: 0f);
            var output = TextGenerator.Generate(lm, ids, sampling, new Rng(options.Seed), Math.Min(result.GetValue(maxTokens), room));
            Console.WriteLine(result.GetValue(prompt) + files.Tokenizer.Decode(output.Tokens));
            return 0;
        }));
        return command;
    }
}
