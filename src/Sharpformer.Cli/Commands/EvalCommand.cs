using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sharpformer.Data;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer eval</c>: BLEU, chrF, exact match, loss and perplexity of a model on TSV pairs.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { HelpName = "DIR", Description = "Model directory.", Required = true };
        var data = new Option<string?>("--data") { HelpName = "FILE", Description = "Pairs to evaluate on (TSV: source<TAB>reference)." };
        var task = new Option<string?>("--task")
        {
            HelpName = "NAME",
            Description = "A built-in corpus instead of --data: bible-en-es, bible-ot-en-es (Old Testament) or bible-nt-en-es (New).",
        };
        var split = new Option<string>("--split") { Description = "Split of --task: valid or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("valid", "test");
        var limit = CliOptions.Int("--limit", "Evaluate only the first N pairs [default: all].", null);
        var json = CliOptions.Json();
        var output = new Option<string?>("--output")
        {
            HelpName = "FILE",
            Description = "Also save the hypotheses that were scored, one line per pair, in order.",
        };
        var decoding = new DecodingFlags();
        var command = new Command("eval",
            "Translate pairs and score them: corpus BLEU (sacreBLEU 13a), chrF, exact match, loss and perplexity.")
        {
            model, data, task, split, limit, json, output
        };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var translator = ModelKinds.OpenTranslator(result.GetValue(model)!);
            var options = decoding.Read(result);
            var pairs = ReadPairs(result.GetValue(data), result.GetValue(task), result.GetValue(split)!)
                .Take(result.GetResult(limit) is { Implicit: false } ? result.GetValue(limit) : int.MaxValue).ToList();
            bool interactive = !Console.IsErrorRedirected;
            var scores = TranslationEvaluation.Run(translator, pairs, options,
                interactive ? done => Console.Error.Write($"\r{done}/{pairs.Count} translated") : null);
            if (interactive) Console.Error.WriteLine();
            if (result.GetValue(output) is { } path)
            {
                Sharpformer.IO.AtomicFile.WriteAllText(path, string.Concat(scores.Hypotheses.Select(h => TextInputs.OneLine(h) + "\n")));
                Console.Error.WriteLine($"{scores.Hypotheses.Count} hypotheses written to {path}");
            }
            var (bleu, chrf) = (scores.Bleu, scores.Chrf);
            if (result.GetValue(json))
            {
                using var stream = Console.OpenStandardOutput();
                using var writer = new Utf8JsonWriter(stream);
                writer.WriteStartObject();
                writer.WriteString("decoding", options.Name);
                writer.WriteNumber("pairs", pairs.Count);
                writer.WriteNumber("bleu", Math.Round(bleu.Score, 4));
                writer.WriteNumber("chrf", Math.Round(chrf.Score, 4));
                writer.WriteNumber("exact_match", Math.Round(scores.ExactMatch, 6));
                writer.WriteNumber("loss", Math.Round(scores.Loss, 6));
                writer.WriteNumber("perplexity", Math.Round(scores.Perplexity, 4));
                writer.WriteNumber("token_accuracy", Math.Round(scores.TokenAccuracy, 6));
                writer.WriteNumber("hypothesis_tokens_per_reference_token", Math.Round(bleu.Ratio, 4));
                writer.WriteNumber("decode_seconds", Math.Round(scores.DecodeSeconds, 3));
                writer.WriteNumber("output_tokens_per_s", Math.Round(scores.OutputTokensPerSecond, 1));
                writer.WriteString("bleu_signature", bleu.Signature);
                writer.WriteEndObject();
                writer.Flush();
                stream.WriteByte((byte)'\n');
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{pairs.Count} pairs, {options.Name}, {scores.DecodeSeconds:F1} s " +
                    $"({scores.OutputTokensPerSecond:F0} output tokens/s)"));
                Console.WriteLine(bleu.ToString());
                Console.WriteLine(chrf.ToString());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"exact match {scores.ExactMatch:P2}, loss {scores.Loss:F4}, perplexity {scores.Perplexity:F2}, " +
                    $"token accuracy {scores.TokenAccuracy:P2}"));
            }
            return 0;
        }));
        return command;
    }

    private static IEnumerable<(string Source, string Target)> ReadPairs(string? data, string? task, string split)
    {
        if ((data is null) == (task is null)) throw new ArgumentException("give either --data FILE.tsv or --task bible-en-es");
        if (data is not null) return TsvReader.Read(data).Pairs;
        if (task is not ("bible-en-es" or "bible-ot-en-es" or "bible-nt-en-es"))
            throw new ArgumentException($"--task for eval must be bible-en-es, bible-ot-en-es or bible-nt-en-es, not '{task}'");
        return Corpora.BibleVerses(task, split == "valid" ? Split.Valid : Split.Test).Select(v => (v.English, v.Spanish));
    }
}
