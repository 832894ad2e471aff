using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Cli.Display;
using Sharpformer.Data;
using Sharpformer.Evaluation;
using Sharpformer.Generation;
using Sharpformer.Kernels;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// <c>sharpformer demo</c>, the main job: trains a small Transformer to reverse letter sequences, shows
/// greedy, beam and sampled translations side by side, scores them on unseen sequences, and writes the
/// model directory and pictures into an output folder.
/// </summary>
internal static class DemoCommand
{
    private const int Steps = 800, Shown = 8, Evaluated = 200;

    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Folder for the model and pictures.",
            DefaultValueFactory = _ => "sharpformer-demo"
        };
        var steps = CliOptions.Int("--steps", "Training updates.", Steps);
        var threads = CliOptions.Threads();
        var command = new Command("demo",
            "Train a small Transformer on a built-in task, compare decoding strategies, and draw pictures (about 10 seconds on 2 cores).")
        {
            output, steps, threads
        };
        command.SetAction(result =>
            CommandErrors.Run(() => Run(Path.GetFullPath(result.GetValue(output)!), result.GetValue(steps), result.GetValue(threads))));
        return command;
    }

    private static int Run(string directory, int steps, int threads)
    {
        Parallelism.Threads = threads;
        if (File.Exists(Path.Combine(directory, Trainer.StateFile)))
            throw new ArgumentException($"{directory} already holds a trained model: remove it or pass another --out");
        var clock = Stopwatch.StartNew();
        var w = Console.Out;
        w.WriteLine("Sharpformer demo: an encoder-decoder Transformer learns to reverse sequences of letters.");
        w.WriteLine($"Everything goes to {directory}\n");

        // 1. Train.
        var run = TrainingRun.Start(new TrainingRunOptions
        {
            Directory = directory, Task = "reverse", MaxLength = 32, BatchTokens = 1024,
            Model = TransformerConfig.Tiny(vocab: 1) with { Dropout = 0f },
            Training = new TrainingOptions
            {
                Steps = steps, Lr = 1e-3f, Warmup = 100, Seed = 1, EvalEvery = 100, SaveEvery = 0, LogEvery = 5, LabelSmoothing = 0f,
            },
        });
        var (data, model) = (run.Data, (Transformer)run.Model);
        run.Trainer.Progress = new TrainingProgressBar(Console.Error, !Console.IsErrorRedirected).Report;
        w.WriteLine($"1. Training {model.ParameterCount():N0} parameters for {steps} steps on {threads} thread(s) " +
                    $"(progress on standard error)...");
        var done = run.Run();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   done in {clock.Elapsed.TotalSeconds:F0} s: validation loss {done.ValidLoss:F3}, token accuracy {
                done.TokenAccuracy:P1}\n"));

        // 2. Decode unseen sequences three ways.
        var sampleRng = new Rng(7);
        var inputs = Enumerable.Range(0, Evaluated).Select(_ => RandomWord(new Rng(1000 + (ulong)_))).ToList();
        var translator = new Translator(model, data.Tokenizer);
        var decodings = new[]
        {
            DecodingOptions.Greedy, DecodingOptions.Beam(4), DecodingOptions.Sample(new SamplingOptions(Temperature: 1f), seed: 7)
        };
        var outputs = decodings.Select(d => Decode(translator, inputs, d with { MaxOutputTokens = 20 }, sampleRng)).ToList();
        w.WriteLine("2. Unseen sequences, three ways to decode (✓ = exactly reversed):");
        // Each column as wide as its widest cell, so a long sampled output cannot push the table out of line.
        string[] headers = ["source", "greedy", "beam 4", "sample (T = 1)"];
        var rows = Enumerable.Range(0, Shown).Select(i =>
        {
            string expected = new([.. inputs[i].Reverse()]);
            return (string[])[inputs[i], .. outputs.Select(o => (o.Texts[i].Length > 0 ? o.Texts[i] : "(empty)") +
                                                                 (o.Texts[i] == expected ? " ✓" : " ✗"))];
        }).ToList();
        int[] widths = [.. headers.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max())];
        foreach (var row in rows.Prepend(headers))
            w.WriteLine("   " + string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());

        // 3. Score them.
        var references = inputs.Select(s => new string([.. s.Reverse()])).ToList();
        w.WriteLine($"\n3. Scores on {Evaluated} unseen sequences:");
        w.WriteLine($"   {"decoding",-16} {"exact match",12} {"chrF",8} {"sequences/s",12}");
        for (int s = 0; s < decodings.Length; s++)
        {
            var chrf = Chrf.Corpus(outputs[s].Texts, [references]);
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {(s == 2 ? "sample (T = 1)" : decodings[s].Name),-16} {
                    ExactMatch.Fraction(outputs[s].Texts, references),12:P1} {chrf.Score,8:F2} {Evaluated / outputs[s].Seconds,12:F0}"));
        }

        // 4. Save the model and draw it.
        Models.ModelDirectory.Save(model, directory);
        w.WriteLine($"\n4. Model directory written: {directory} (try: sharpformer translate --model {directory} --beam 4 abcdef)");
        string pictures = Path.Combine(directory, "pictures");
        var drawn = new List<string>
        {
            Viz.Pictures.WriteCurves(Path.Combine(directory, MetricsLog.FileName), Path.Combine(pictures, "training-curves.png")),
            Viz.Pictures.WritePositionalEncoding(model, Path.Combine(pictures, "positional-encoding.png")),
            Viz.Pictures.WriteEmbeddings(model, data.Tokenizer, Path.Combine(pictures, "embeddings-pca.png")),
        };
        drawn.AddRange(Viz.Pictures.WriteAttention(model, data.Tokenizer, inputs[0], null, pictures));
        w.WriteLine($"\n5. Pictures in {pictures}:");
        foreach (var path in drawn) w.WriteLine($"   {Path.GetFileName(path)}");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nFinished in {clock.Elapsed.TotalSeconds:F0} s."));
        return 0;
    }

    private static (string[] Texts, double Seconds) Decode(Translator translator, List<string> inputs, DecodingOptions decoding, Rng rng)
    {
        var clock = Stopwatch.StartNew();
        var texts = translator.Translate(inputs, decoding, rng).ToArray();
        return (texts, clock.Elapsed.TotalSeconds);
    }

    private static string RandomWord(Rng rng)
    {
        int length = TrainingData.ToyMinLength + rng.NextInt(TrainingData.ToyMaxLength - TrainingData.ToyMinLength + 1);
        return new string([.. Enumerable.Range(0, length)
            .Select(_ => TrainingData.ToyAlphabet[rng.NextInt(TrainingData.ToyAlphabet.Length)])]);
    }
}
