using System.CommandLine;
using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer translate</c>: decodes text arguments, or standard input line by line.</summary>
internal static class TranslateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (from `sharpformer train`).", Required = true };
        var maxLength =
            CliOptions.Int("--max-length", "Most tokens to generate per line (default: the model's limit, at most 1,024).", 0, minimum: 1);
        var texts = new Argument<string[]>("TEXT")
        {
            Description = "Text to translate; with none, each line of standard input.",
            Arity = ArgumentArity.ZeroOrMore
        };
        var decoding = new DecodingFlags();
        var command = new Command("translate", "Translate text with a trained encoder-decoder model: one output line per input.")
        {
            model, maxLength, texts
        };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var translator = ModelKinds.OpenTranslator(result.GetValue(model)!);
            var options = decoding.Read(result) with
            {
                MaxOutputTokens = result.GetResult(maxLength) is { Implicit: false } ? result.GetValue(maxLength) : null,
            };
            var rng = new Rng(options.Seed);
            var lines = result.GetValue(texts) is { Length: > 0 } given ? given : ReadLines(Console.In);
            foreach (var chunk in lines.Chunk(Translator.BatchSize))
                foreach (var line in translator.Translate(chunk, options, rng)) Console.WriteLine(line);
            return 0;
        }));
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) yield return line;
    }
}
