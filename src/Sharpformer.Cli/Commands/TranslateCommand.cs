using System.CommandLine;
using Sharpformer.Data;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer translate</c>: decodes text arguments, or standard input line by line.</summary>
internal static class TranslateCommand
{
    private const int LinesPerBatch = 32;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (from `sharpformer train`).", Required = true };
        var maxLength = CliOptions.Int("--max-length", "Most tokens to generate per line (default: the model's limit, at most 1,024).", 0, minimum: 1);
        var texts = new Argument<string[]>("TEXT") { Description = "Text to translate; with none, each line of standard input.", Arity = ArgumentArity.ZeroOrMore };
        var decoding = new DecodingOptions();
        var command = new Command("translate", "Translate text with a trained encoder-decoder model: one output line per input.") { model, maxLength, texts };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var files = ModelFiles.Open(result.GetValue(model)!);
            var translator = files.Translator;
            var strategy = decoding.Read(result);
            int limit = result.GetResult(maxLength) is { Implicit: false } ? result.GetValue(maxLength) : DefaultOutputLimit(translator.Config);
            limit = Math.Min(limit, translator.Config.MaxLength - 2);
            var rng = new Rng(strategy.Seed);
            var lines = result.GetValue(texts) is { Length: > 0 } given ? given : ReadLines(Console.In);
            foreach (var chunk in lines.Chunk(LinesPerBatch))
                foreach (var line in Translate(translator, files.Tokenizer, chunk, strategy, limit, rng)) Console.WriteLine(line);
            return 0;
        }));
        return command;
    }

    /// <summary>Output tokens per translation unless --max-length says otherwise: the model's room, at most 1,024.</summary>
    public static int DefaultOutputLimit(TransformerConfig config) => Math.Min(config.MaxLength - 2, 1024);

    /// <summary>Translates a batch of lines (an empty line gives an empty line).</summary>
    public static string[] Translate(Transformer model, ITokenizer tokenizer, IReadOnlyList<string> lines, Strategy strategy, int maxLength, Rng rng)
    {
        var ids = lines.Select(l => tokenizer.Encode(l).Take(model.Config.MaxLength - 2).ToArray()).ToArray();
        var results = new string[lines.Count];
        var nonEmpty = Enumerable.Range(0, lines.Count).Where(i => ids[i].Length > 0).ToArray();
        if (nonEmpty.Length == 0) return [.. results.Select(_ => "")];
        int width = nonEmpty.Max(i => ids[i].Length);
        var source = new float[nonEmpty.Length * width];
        for (int r = 0; r < nonEmpty.Length; r++)
            for (int j = 0; j < ids[nonEmpty[r]].Length; j++) source[r * width + j] = ids[nonEmpty[r]][j];
        var batch = Tensor.FromArray(source, nonEmpty.Length, width);
        var hypotheses = strategy.BeamSize > 0 ? BeamSearch.Decode(model, batch, strategy.BeamSize, maxLength, strategy.LengthPenalty)
            : strategy.Sampling is { } sampling ? Sampler.Decode(model, batch, sampling, rng, maxLength)
            : Greedy.Decode(model, batch, maxLength);
        for (int i = 0; i < results.Length; i++) results[i] = "";
        for (int r = 0; r < nonEmpty.Length; r++) results[nonEmpty[r]] = tokenizer.Decode(hypotheses[r].Tokens);
        return results;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine()) yield return line;
    }
}
