using System.CommandLine;
using System.Globalization;
using Sharpformer.Cli.Display;
using Sharpformer.Data;
using Sharpformer.IO;
using Sharpformer.Kernels;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer train</c>: trains a model on a task and writes a model directory.</summary>
internal static class TrainCommand
{
    /// <summary>Ordinary symbols of the generated toy tasks (the vocabulary adds the 4 reserved ids).</summary>
    private const int ToySymbols = 16;
    private const int ToyMinLength = 4, ToyMaxLength = 12;

    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "Built-in task: copy, reverse or sort (generated sequences).", Required = true };
        var output = new Option<string>("--out") { Description = "Model directory to write (created if needed).", Required = true };
        var preset = new Option<string>("--preset") { Description = "Model size: tiny, small, big or base.", DefaultValueFactory = _ => "tiny" };
        preset.AcceptOnlyFromAmong("tiny", "small", "big", "base");
        var config = new Option<string?>("--config") { Description = "A config.json giving the architecture (instead of --preset)." };
        var steps = CliOptions.Int("--steps", "Optimizer updates.", 1000);
        var batchTokens = CliOptions.Int("--batch-tokens", "Target tokens per batch (approximately).", 1024);
        var lr = CliOptions.Float("--lr", "Peak learning rate.", 1e-3f, 1e-8f, 10f);
        var warmup = CliOptions.Int("--warmup", "Warmup updates.", 100, minimum: 0);
        var seed = CliOptions.Int("--seed", "Seed of initialization, dropout and data order.", 1, minimum: 0);
        var threads = CliOptions.Threads();
        var saveEvery = CliOptions.Int("--save-every", "Checkpoint every N updates (0: only at the end).", 500, minimum: 0);
        var evalEvery = CliOptions.Int("--eval-every", "Validate every N updates (0: only at the end).", 200, minimum: 0);
        var logEvery = CliOptions.Int("--log-every", "Append a line to metrics.jsonl every N updates.", 10);
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out (same settings; --steps may extend the run)." };

        var command = new Command("train", "Train a Transformer and write its model directory (config, weights, metrics, checkpoint).")
        {
            task, output, preset, config, steps, batchTokens, lr, warmup, seed, threads, saveEvery, evalEvery, logEvery, resume,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            Parallelism.Threads = result.GetValue(threads);
            string directory = result.GetValue(output)!;
            var kind = ToyTask.Parse(result.GetValue(task)!)
                ?? throw new ArgumentException($"unknown task '{result.GetValue(task)}' (the generated tasks are copy, reverse and sort)");
            var toy = new ToyTask(kind, SpecialTokens.Count + ToySymbols, ToyMinLength, ToyMaxLength);

            TransformerConfig modelConfig;
            TrainingOptions options;
            if (result.GetValue(resume))
            {
                modelConfig = ModelDirectory.ReadConfig(directory);
                options = ReadCheckpointOptions(directory);
                if (result.GetResult(steps) is { Implicit: false }) options = options with { Steps = result.GetValue(steps) };
            }
            else
            {
                modelConfig = ModelConfig(result.GetValue(config), result.GetValue(preset)!, toy.Vocab);
                options = new TrainingOptions
                {
                    Steps = result.GetValue(steps), Lr = result.GetValue(lr), Warmup = result.GetValue(warmup),
                    Seed = (ulong)result.GetValue(seed), SaveEvery = result.GetValue(saveEvery), EvalEvery = result.GetValue(evalEvery),
                    LogEvery = result.GetValue(logEvery),
                };
            }
            if (modelConfig.SourceVocab != toy.Vocab || modelConfig.TargetVocab != toy.Vocab)
                throw new ArgumentException($"the model's vocabulary ({modelConfig.SourceVocab}) does not fit task '{result.GetValue(task)}' ({toy.Vocab} ids)");

            int batchSize = Math.Max(1, result.GetValue(batchTokens) / (ToyMaxLength + 1));
            var modelRng = new Rng(options.Seed);
            var model = new Transformer(modelConfig, modelRng);
            var train = new ToyTaskBatches(toy, batchSize, options.Seed + 1);
            var valid = ToyTaskBatches.Fixed(toy, batchSize, count: 4, seed: options.Seed + 2);
            var trainer = new Trainer(model, modelRng, train, valid, options, directory);
            if (result.GetValue(resume))
            {
                trainer.Resume();
                Console.Error.WriteLine($"resuming at step {trainer.Step} of {options.Steps}");
            }
            else if (File.Exists(Path.Combine(directory, Trainer.StateFile)))
            {
                throw new ArgumentException($"{directory} already holds a checkpoint: pass --resume to continue it, or choose another --out");
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"training {model.ParameterCount():N0} parameters on '{result.GetValue(task)}' for {options.Steps} steps, batch {batchSize}, {Parallelism.Threads} thread(s) → {directory}"));
            var bar = new TrainingProgressBar(Console.Error, interactive: !Console.IsErrorRedirected);
            trainer.Progress = bar.Report;
            trainer.Run();
            var (validLoss, accuracy) = TeacherForcedEvaluation.Run(model, valid);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done: step {trainer.Step}, validation loss {validLoss:F4}, token accuracy {accuracy:P2}; model in {directory}"));
            return 0;
        }));
        return command;
    }

    private static TransformerConfig ModelConfig(string? configPath, string preset, int vocab)
    {
        if (configPath is not null)
        {
            var fromFile = ModelDirectory.ReadConfigFile(configPath);
            return fromFile with { SourceVocab = vocab, TargetVocab = vocab };
        }
        return (preset switch
        {
            "small" => TransformerConfig.Small(vocab),
            "big" => TransformerConfig.Big(vocab),
            "base" => TransformerConfig.Base(vocab),
            _ => TransformerConfig.Tiny(vocab),
        }) with { MaxLength = 256 };
    }

    // trainer.json repeats the checkpoint's options (they never change during a run).
    private static TrainingOptions ReadCheckpointOptions(string directory) =>
        TrainerCheckpoint.Read(Path.Combine(directory, Trainer.StateJsonFile)).Options;
}
