using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Models;
using Sharpformer.Onnx;
using Sharpformer.Text;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer export onnx</c>: writes a model's graphs for ONNX Runtime and other ONNX engines.</summary>
internal static class ExportCommand
{
    public static Command Create() => new("export", "Write a model in another format for other tools.") { CreateOnnx() };

    private static Command CreateOnnx()
    {
        var model = new Option<string>("--model") { Description = "Model directory to export.", Required = true, HelpName = "DIR" };
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Directory for the .onnx graphs, config.json and the tokenizer (a BPE one also in Hugging Face's " +
                          "schema; char and word ones in Sharpformer's own).",
            Required = true,
        };
        var command = new Command("onnx",
            "Export a model as ONNX graphs (opset 17) that ONNX Runtime runs: encoder.onnx (source ids → memory) and decoder.onnx " +
            "(memory, source ids, target ids so far → the next token's logits), decoder_with_past.onnx (the same, one token at a " +
            "time with its key/value cache), or a decoder-only model's decoder.onnx (ids → the next token's logits); batch and " +
            "lengths are dynamic.")
        {
            model, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string source = result.GetValue(model)!, target = result.GetValue(output)!;
            ModelCopyTarget.Check(source, target);   // its config.json and tokenizer.json would replace a model's or a run's
            var clock = Stopwatch.StartNew();
            var files = ModelDirectory.Open(source);
            var written = OnnxExport.Write(files.Model, target);
            // A BPE tokenizer in Hugging Face's schema, which their libraries and Sharpformer both read, so that clients of
            // the graphs in Python or JavaScript tokenize with their own library; a character or word one as it is.
            bool huggingFace = files.Tokenizer is BpeTokenizer;
            if (huggingFace) HuggingFaceTokenizerFile.Write(files.Tokenizer, target, files.Model.Config.MaxLength);
            else files.Tokenizer.Save(Path.Combine(target, ModelDirectory.TokenizerFile));
            TransformerConfigFile.Write(Path.Combine(target, ModelDirectory.ConfigFile), files.Model.Config);
            string tokenizerFiles = huggingFace
                ? $"{ModelDirectory.TokenizerFile}, {HuggingFaceTokenizerFile.ConfigFile} (Hugging Face's schema)"
                : ModelDirectory.TokenizerFile;
            string sizes = string.Join(", ", written.Select(f =>
                string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(f)} {new FileInfo(f).Length / 1e6:F2} MB")));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"export onnx: {sizes} (opset {OnnxExport.Opset}), with {tokenizerFiles} and {ModelDirectory.ConfigFile}, " +
                $"in {clock.Elapsed.TotalSeconds:F1} s; wrote {target}"));
            return 0;
        }));
        return command;
    }
}
