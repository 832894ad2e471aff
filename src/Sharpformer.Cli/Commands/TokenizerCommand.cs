using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sharpformer.Text;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer tokenizer train | encode | decode | export</c>.</summary>
internal static class TokenizerCommand
{
    public static Command Create() => new("tokenizer", "Train a tokenizer, encode and decode text with one, or convert it.")
    {
        CreateTrain(),
        CreateEncode(),
        CreateDecode(),
        CreateExport(),
    };

    private static Command CreateTrain()
    {
        var input = new Option<string[]>("--input")
        {
            HelpName = "FILE",
            Description = "Training text: plain text files (each line a text) or .tsv files (each tab-separated field a text).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocabSize = CliOptions.Int("--vocab-size", "Vocabulary size, special tokens included.", 8000);
        var output = new Option<string>("--out") { HelpName = "FILE", Description = "tokenizer.json to write.", Required = true };
        var type = new Option<string>("--type") { Description = "bpe (byte-level BPE), char or word.", DefaultValueFactory = _ => "bpe" };
        type.AcceptOnlyFromAmong([.. TokenizerTrainer.Types]);
        var minFrequency =
            CliOptions.Int("--min-frequency", "Fewest occurrences for a character, word or BPE pair to enter the vocabulary.", 2);

        var command = new Command("train", "Train a tokenizer and write tokenizer.json.") { input, vocabSize, output, type, minFrequency };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var texts = TextInputs.Read(result.GetValue(input)!);
            var options = new TokenizerTrainingOptions
            {
                VocabSize = result.GetValue(vocabSize),
                MinFrequency = result.GetValue(minFrequency)
            };
            var tokenizer = TokenizerTrainer.Train(result.GetValue(type)!, texts, options, line => Console.Error.WriteLine(line));
            string path = result.GetValue(output)!;
            tokenizer.Save(path);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trained a {tokenizer.Type} tokenizer of {tokenizer.VocabSize:N0} tokens in {
                    clock.Elapsed.TotalSeconds:F2} s → {path}"));
            return 0;
        }));
        return command;
    }

    private static Command CreateEncode()
    {
        var tokenizerPath = TokenizerOption();
        var text = new Argument<string[]>("TEXT")
        {
            Description = "Text to encode (words are joined by spaces); none: each line of standard input.",
            Arity = ArgumentArity.ZeroOrMore
        };
        var command = new Command("encode",
            "Print token ids, space-separated: one line for the TEXT (its words joined by spaces), or one per line of standard input.")
        {
            tokenizerPath, text
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var tokenizer = ITokenizer.Load(result.GetValue(tokenizerPath)!);
            using var output = StandardOutput();
            foreach (string line in Lines(result.GetValue(text)!))
            {
                output.WriteLine(string.Join(' ', tokenizer.Encode(line)));
            }
            return 0;
        }));
        return command;
    }

    private static Command CreateDecode()
    {
        var tokenizerPath = TokenizerOption();
        var ids = new Argument<string[]>("IDS")
        {
            Description = "Token ids (one sequence); none: one sequence per line of standard input.",
            Arity = ArgumentArity.ZeroOrMore
        };
        var command = new Command("decode", "Print the text of token ids: one line per sequence.") { tokenizerPath, ids };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var tokenizer = ITokenizer.Load(result.GetValue(tokenizerPath)!);
            using var output = StandardOutput();
            int lineNumber = 0;
            foreach (string line in Lines(result.GetValue(ids)!))
            {
                lineNumber++;
                output.WriteLine(tokenizer.Decode(ParseIds(line, tokenizer.VocabSize, lineNumber)));
            }
            return 0;
        }));
        return command;
    }

    private static Command CreateExport()
    {
        var tokenizerPath = TokenizerOption();
        var format = new Option<string>("--format")
        {
            Description = "huggingface: tokenizer.json and tokenizer_config.json in Hugging Face's schema (byte-level BPE only); " +
                "sharpformer: tokenizer.json in Sharpformer's own.",
            DefaultValueFactory = _ => "huggingface",
        };
        format.AcceptOnlyFromAmong("huggingface", "sharpformer");
        var output = new Option<string>("--out") { Description = "Directory to write to.", Required = true, HelpName = "DIR" };
        var command = new Command("export",
            "Write a tokenizer (in either format) in Hugging Face's schema, which their tokenizers and transformers libraries " +
            "read with the same ids, or in Sharpformer's own.") { tokenizerPath, format, output };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var tokenizer = ITokenizer.Load(result.GetValue(tokenizerPath)!);
            string directory = result.GetValue(output)!;
            IReadOnlyList<string> written;
            if (result.GetValue(format) == "huggingface") written = HuggingFaceTokenizerFile.Write(tokenizer, directory);
            else
            {
                Directory.CreateDirectory(directory);
                written = [Path.Combine(directory, "tokenizer.json")];
                tokenizer.Save(written[0]);
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"exported a {tokenizer.Type} tokenizer of {tokenizer.VocabSize:N0} tokens ({result.GetValue(format)}): {
                    string.Join(", ", written)}"));
            return 0;
        }));
        return command;
    }

    private static Option<string> TokenizerOption() =>
        new("--tokenizer")
        {
            HelpName = "FILE", Description = "A tokenizer.json (Sharpformer's or a Hugging Face byte-level BPE one).", Required = true,
        };

    // The arguments joined as one line, or every line of standard input.
    private static IEnumerable<string> Lines(string[] arguments)
    {
        if (arguments.Length > 0)
        {
            yield return string.Join(' ', arguments);
            yield break;
        }
        using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        for (string? line = input.ReadLine(); line is not null; line = input.ReadLine()) yield return line;
    }

    private static int[] ParseIds(string line, int vocabSize, int lineNumber)
    {
        string[] words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (!int.TryParse(words[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new ArgumentException($"line {lineNumber}: '{words[i]}' is not a token id");
            if (ids[i] >= vocabSize)
                throw new ArgumentException($"line {lineNumber}: token id {ids[i]} is outside the vocabulary [0, {vocabSize})");
        }
        return ids;
    }

    private static StreamWriter StandardOutput() =>
        new(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
}
