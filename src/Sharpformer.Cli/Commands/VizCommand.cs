using System.CommandLine;
using Sharpformer.Models;
using Sharpformer.Training;
using Sharpformer.Viz;
using Sharpformer.Viz.Course;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// <c>sharpformer viz attention | positional | rope | memory | curves | compare | embeddings</c>: PNG pictures. Each prints the
/// paths it wrote, one per line, on standard output.
/// </summary>
internal static class VizCommand
{
    public static Command Create() => new("viz",
        "Draw PNG pictures: attention heatmaps, the positional encoding, training curves, token embeddings.")
    {
        CreateAttention(),
        CreatePositional(),
        CreateRope(),
        CreateMemory(),
        CreateCurves(),
        CreateCompare(),
        CreateEmbeddings(),
        CreateCourse(),
    };

    private static Command CreateAttention()
    {
        var model = ModelOption(required: true);
        var source = new Option<string>("--source")
        {
            HelpName = "TEXT",
            Description = "Source sentence (for a language model: the text it reads).",
            Required = true
        };
        var target = new Option<string>("--target")
        {
            HelpName = "TEXT",
            Description = "Target sentence the decoder reads after <bos> (default: the model's greedy translation)."
        };
        var output = new Option<string>("--out")
        {
            HelpName = "PATH",
            Description = "A folder, which receives attention-<kind>-layer<N>.png per kind and layer, " +
                "or NAME.png, which gives NAME-<kind>-layer<N>.png beside it.",
            Required = true,
        };
        var command = new Command("attention",
            "Attention heatmaps with the tokens on the axes: one PNG per kind (encoder self-, decoder self-, cross-attention) and layer, " +
            "a panel per head.")
        {
            model, source, target, output,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var files = ModelDirectory.Open(result.GetValue(model)!);
            var paths = Pictures.WriteAttention(files.Model, files.Tokenizer, result.GetValue(source)!, result.GetValue(target),
                result.GetValue(output)!);
            foreach (var path in paths) Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Command CreatePositional()
    {
        var model = ModelOption(required: false);
        var dim = CliOptions.Int("--dim", "Encoding width (without --model).", 128, minimum: 2);
        var length =
            CliOptions.Int("--length", "Positions to draw (with --model: the model's maximum length, up to 1,024).", 100);
        var output = PngOption();
        var command = new Command("positional", "The sinusoidal positional-encoding matrix (positions × dimensions) as a heatmap.")
        {
            model, dim, length, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            bool lengthGiven = result.GetResult(length) is { Implicit: false };
            if (result.GetValue(model) is { } directory)
            {
                if (result.GetResult(dim) is { Implicit: false })
                    throw new ArgumentException("--dim comes from the model: give --model or --dim, not both");
                // A LoRA run's architecture is its base model's.
                string architecture = LoraDirectory.BaseOrSelf(directory);
                var config = ModelDirectory.ReadConfig(architecture);
                int positions = Math.Min(lengthGiven ? result.GetValue(length) : 1024, config.MaxLength);
                Pictures.WritePositionalEncoding(config.DModel, positions, path);
            }
            else
            {
                Pictures.WritePositionalEncoding(result.GetValue(dim), result.GetValue(length), path);
            }
            Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Command CreateRope()
    {
        var headSize = CliOptions.Int("--dim", "Head size d (even).", 64, minimum: 2);
        var length = CliOptions.Int("--length", "Positions to draw.", 256);
        var theta = CliOptions.Float("--base", "The base θ.", 10000f, 1.0001f, 1e9f);
        var output = PngOption();
        var command = new Command("rope", "The rotations of rotary position embeddings (positions × dimension pairs) as a heatmap.")
        {
            headSize, length, theta, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            RopePictures.Write(result.GetValue(headSize), result.GetValue(length), result.GetValue(theta), path);
            Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Command CreateMemory()
    {
        var longest = CliOptions.Int("--length", "Longest sequence (lengths double from 128).", 8192, minimum: 128);
        var threads = CliOptions.Threads();
        var output = PngOption();
        var command = new Command("memory",
            "The bytes attention holds against the sequence length (batch 4, 8 heads of 64), tiled against stored, as a chart.")
        {
            longest, threads, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            MemoryPictures.WriteAttention(4, 8, 64, result.GetValue(threads), result.GetValue(longest), path);
            Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Command CreateCurves()
    {
        var metrics = new Option<string>("--metrics")
        {
            HelpName = "FILE",
            Description = $"The {MetricsLog.FileName} of a training run (or the model folder holding it).",
            Required = true
        };
        var output = PngOption();
        var command = new Command("curves",
            "Training and validation loss, learning rate and gradient norm against the step, in one PNG of three panels (four with " +
            "validation BLEU and chrF when the run logged them).")
        {
            metrics, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            string input = result.GetValue(metrics)!;
            if (Directory.Exists(input)) input = Path.Combine(input, MetricsLog.FileName);
            Console.WriteLine(Pictures.WriteCurves(input, path));
            return 0;
        }));
        return command;
    }

    private static Command CreateCompare()
    {
        var runs = new Option<string[]>("--metrics")
        {
            HelpName = "FILE",
            Description = $"The {MetricsLog.FileName} of a run trained with --eval-bleu (or its folder); give it once per run.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = PngOption();
        var command = new Command("compare", "Validation BLEU against minutes of training for several runs, in one PNG.")
        {
            runs, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            var inputs = result.GetValue(runs)!.Select(input => Directory.Exists(input) ? Path.Combine(input, MetricsLog.FileName) : input)
                .ToList();
            Console.WriteLine(Pictures.WriteRunComparison(inputs, path));
            return 0;
        }));
        return command;
    }

    private static Command CreateEmbeddings()
    {
        var model = ModelOption(required: true);
        var tokens = CliOptions.Int("--tokens", "How many tokens to show, in id order.",
            EmbeddingPictures.DefaultTokens, minimum: 2);
        var output = PngOption();
        var command = new Command("embeddings", "A 2-D PCA of the token embeddings, each point labelled with its token.")
        {
            model, tokens, output
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string path = PngPath(result.GetValue(output)!);
            var files = ModelDirectory.Open(result.GetValue(model)!);
            Console.WriteLine(Pictures.WriteEmbeddings(files.Model, files.Tokenizer, path, result.GetValue(tokens)));
            return 0;
        }));
        return command;
    }

    private static Command CreateCourse()
    {
        var output = new Option<string>("--out")
        {
            HelpName = "FOLDER",
            Description = "The folder to draw into (docs/images in the repository).",
            Required = true,
        };
        var only = new Option<string[]>("--only")
        {
            HelpName = "NAME.png",
            Description = "Draw only these pictures (repeat the option for several); all by default.",
        };
        var command = new Command("course",
            "Every picture of the docs chapters (tensor views, autograd graph, attention, schedules, int8, LoRA, …), " +
            "drawn from the library's own code.")
        {
            output, only,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            string folder = result.GetValue(output)!;
            if (folder.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out is a folder for all the pictures, not a .png file: '{folder}'");
            var names = result.GetValue(only) is { Length: > 0 } chosen ? chosen : null;
            foreach (var path in CoursePictures.Write(folder, names)) Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static Option<string> ModelOption(bool required) =>
        new("--model") { HelpName = "DIR", Description = "Model directory (from `sharpformer train`).", Required = required };

    private static Option<string> PngOption() =>
        new("--out") { HelpName = "FILE", Description = "The PNG file to write.", Required = true };

    private static string PngPath(string path) => path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
        ? path
        : throw new ArgumentException($"--out must name a .png file, not '{path}'");
}
