using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sharpformer.Generation;
using Sharpformer.Tensors;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// <c>sharpformer translate</c>: decodes text arguments, or standard input line by line — each line written as soon
/// as it is translated, lines already waiting decoded together.
/// </summary>
internal static class TranslateCommand
{
    // Truncation warnings named one by one before they are only counted.
    private const int NamedTruncations = 5;

    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "Model directory (from `sharpformer train`).",
            Required = true,
        };
        var maxTokens =
            CliOptions.Int("--max-tokens", "Most tokens to generate per line [default: the model's limit, at most 1,024].", null);
        var nBest = CliOptions.Int("--nbest", "With --beam: print the N best translations (at most the beam size) with their scores.", 1);
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object per input: source, token counts, translations with scores.",
        };
        var texts = new Argument<string[]>("TEXT")
        {
            Description = "Text to translate; with none, each line of standard input.",
            Arity = ArgumentArity.ZeroOrMore
        };
        var decoding = new DecodingFlags();
        var command = new Command("translate", "Translate text with a trained encoder-decoder model: one output line per input.")
        {
            model, maxTokens, nBest, json, texts
        };
        decoding.AddTo(command);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var options = decoding.Read(result) with
            {
                MaxOutputTokens = result.GetResult(maxTokens) is { Implicit: false } ? result.GetValue(maxTokens) : null,
            };
            int n = result.GetValue(nBest);
            if (n > 1 && options.Method != DecodingMethod.Beam) throw new ArgumentException("--nbest needs --beam K");
            if (n > options.BeamSize) throw new ArgumentException($"--nbest {n} must be at most the beam size {options.BeamSize}");
            var translator = ModelKinds.OpenTranslator(result.GetValue(model)!);
            bool given = result.GetValue(texts) is { Length: > 0 };
            var batches = given ? [result.GetValue(texts)!] : InputLines.Batches(Console.OpenStandardInput(), translator.BatchSize);
            var output = new Output(result.GetValue(json), n > 1, given ? "text" : "line");
            var rng = new Rng(options.Seed);
            foreach (var batch in batches) output.Write(translator.TranslateDetailed(batch, options, n, rng));
            output.Finish(translator.Model.Config.MaxLength - 2);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Writes results as plain lines, Moses-style n-best lines ("0 ||| text ||| score") or JSON lines, and warns of truncation.
    /// </summary>
    private sealed class Output(bool json, bool nBest, string inputName)
    {
        // Non-ASCII text written as it is, not as \u escapes.
        private static readonly JsonWriterOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private readonly StreamWriter _text = new(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        private int _inputs, _truncated;

        public void Write(IReadOnlyList<TranslationResult> results)
        {
            foreach (var result in results)
            {
                if (result.TruncatedTokens > 0 && ++_truncated <= NamedTruncations)
                {
                    Console.Error.WriteLine($"sharpformer: warning: {inputName} {_inputs + 1} has " +
                        $"{result.SourceTokens + result.TruncatedTokens} tokens; the model reads the first {result.SourceTokens}");
                }
                if (json) WriteJson(result);
                else if (nBest)
                {
                    foreach (var hypothesis in result.Hypotheses)
                    {
                        string text = TextInputs.OneLine(hypothesis.Text);
                        _text.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_inputs} ||| {text} ||| {hypothesis.Score:F4}"));
                    }
                }
                else _text.WriteLine(TextInputs.OneLine(result.Text));
                _inputs++;
            }
            _text.Flush();
        }

        public void Finish(int room)
        {
            if (_truncated > NamedTruncations)
                Console.Error.WriteLine($"sharpformer: warning: {_truncated} of {_inputs} inputs were longer than the model's {room} " +
                                        "tokens and were cut");
        }

        private void WriteJson(TranslationResult result)
        {
            _text.Flush();
            using (var writer = new Utf8JsonWriter(_text.BaseStream, Readable)) result.WriteJson(writer);
            _text.BaseStream.WriteByte((byte)'\n');
        }
    }
}
