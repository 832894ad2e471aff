using System.CommandLine;
using System.Globalization;
using Sharpformer.Cli.Display;
using Sharpformer.Data;
using Sharpformer.Generation;
using Sharpformer.IO;
using Sharpformer.Kernels;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer train</c>: trains a model on a task or TSV files and writes a model directory.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var task = new Option<string?>("--task") { Description = $"Built-in task: {string.Join(", ", DataSpec.TaskNames)}." };
        var train = new Option<string?>("--train") { Description = "Training pairs: a UTF-8 TSV file, source<TAB>target per line." };
        var valid = new Option<string?>("--valid") { Description = "Validation pairs (TSV), evaluated every --eval-every steps." };
        var output = new Option<string>("--out") { Description = "Model directory to write (created if needed).", Required = true };
        var preset = new Option<string>("--preset") { Description = "Model size: tiny, small, big or base.", DefaultValueFactory = _ => "tiny" };
        preset.AcceptOnlyFromAmong("tiny", "small", "big", "base");
        var config = new Option<string?>("--config") { Description = "A config.json giving the architecture (instead of --preset)." };
        var steps = CliOptions.Int("--steps", "Optimizer updates (default 1000).", 1000);
        var epochs = CliOptions.Int("--epochs", "Passes over the training data (instead of --steps; not for generated tasks).", 0, minimum: 1);
        var batchTokens = CliOptions.Int("--batch-tokens", "Padded tokens per batch (approximately).", 1024);
        var maxLength = CliOptions.Int("--max-length", "Longest sequence in tokens; longer ones are cut (and counted).", 128, minimum: 4);
        var vocabSize = CliOptions.Int("--vocab-size", "Size of the BPE vocabulary trained on the data.", 8000, minimum: 260);
        var lr = CliOptions.Float("--lr", "Peak learning rate.", 1e-3f, 1e-8f, 10f);
        var dropout = CliOptions.Float("--dropout", "Dropout probability (default: the preset's, 0.1).", 0.1f, 0f, 0.9f);
        var labelSmoothing = CliOptions.Float("--label-smoothing", "Label smoothing of the loss.", 0.1f, 0f, 0.9f);
        var warmup = CliOptions.Int("--warmup", "Warmup updates.", 100, minimum: 0);
        var seed = CliOptions.Int("--seed", "Seed of initialization, dropout and data order.", 1, minimum: 0);
        var threads = CliOptions.Threads();
        var saveEvery = CliOptions.Int("--save-every", "Checkpoint every N updates (0: only at the end).", 500, minimum: 0);
        var evalEvery = CliOptions.Int("--eval-every", "Validate every N updates (0: only at the end).", 200, minimum: 0);
        var logEvery = CliOptions.Int("--log-every", "Append a line to metrics.jsonl every N updates.", 10);
        var skipBad = new Option<bool>("--skip-bad-lines") { Description = "Skip and count malformed TSV lines instead of stopping at the first." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoint in --out (same settings; --steps may extend the run)." };

        var command = new Command("train", "Train a Transformer and write its model directory (config, weights, tokenizer, metrics, checkpoint).")
        {
            task, train, valid, output, preset, config, steps, epochs, batchTokens, maxLength, vocabSize, lr, dropout, labelSmoothing, warmup, seed, threads,
            saveEvery, evalEvery, logEvery, skipBad, resume,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            Parallelism.Threads = result.GetValue(threads);
            string directory = result.GetValue(output)!;
            var checkpoint = TrainerCheckpoint.TryRead(directory);
            bool resuming = result.GetValue(resume);
            if (!resuming && checkpoint is not null)
                throw new ArgumentException($"{directory} already holds a checkpoint: pass --resume to continue it, or choose another --out");
            if (resuming && checkpoint is null)
            {
                Console.Error.WriteLine($"{directory} holds no checkpoint yet: starting a new run");
                resuming = false;
            }
            var spec = new DataSpec(result.GetValue(task), result.GetValue(train), result.GetValue(valid));
            if (spec.Task is not null && spec.TrainFile is not null) throw new ArgumentException("give either --task or --train, not both");
            if (spec.Task is null && spec.TrainFile is null) throw new ArgumentException("give --task NAME or --train FILE.tsv");
            if (spec.TrainFile is null && spec.ValidFile is not null) throw new ArgumentException("--valid needs --train");

            TrainingOptions? saved = checkpoint?.Options;
            ulong runSeed = saved?.Seed ?? (ulong)result.GetValue(seed);
            var settings = new DataSettings(result.GetValue(batchTokens), result.GetValue(maxLength), result.GetValue(vocabSize), result.GetValue(skipBad), runSeed);
            var tokenizer = resuming ? ITokenizer.Load(Path.Combine(directory, ModelDirectory.TokenizerFile)) : null;
            var data = TrainingData.Load(spec, settings, tokenizer, message => Console.Error.WriteLine(message));

            TransformerConfig modelConfig;
            TrainingOptions options;
            if (saved is not null)
            {
                modelConfig = ModelDirectory.ReadConfig(directory);
                options = result.GetResult(steps) is { Implicit: false } ? saved with { Steps = result.GetValue(steps) } : saved;
            }
            else
            {
                modelConfig = ModelConfig(result.GetValue(config), result.GetValue(preset)!, data, settings.MaxLength);
                if (result.GetResult(dropout) is { Implicit: false }) modelConfig = modelConfig with { Dropout = result.GetValue(dropout) };
                int totalSteps = result.GetResult(epochs) is { Implicit: false }
                    ? Math.Max(1, result.GetValue(epochs) * (data.BatchesPerEpoch > 0 ? data.BatchesPerEpoch : throw new ArgumentException("--epochs needs a fixed data set (--train or a corpus task); use --steps for generated tasks")))
                    : result.GetValue(steps);
                options = new TrainingOptions
                {
                    Steps = totalSteps, Lr = result.GetValue(lr), Warmup = result.GetValue(warmup), Seed = runSeed, LabelSmoothing = result.GetValue(labelSmoothing),
                    SaveEvery = result.GetValue(saveEvery), EvalEvery = result.GetValue(evalEvery), LogEvery = result.GetValue(logEvery),
                };
                Directory.CreateDirectory(directory);
                data.Tokenizer.Save(Path.Combine(directory, ModelDirectory.TokenizerFile));
            }
            if (modelConfig.TargetVocab != data.Tokenizer.VocabSize || modelConfig.Architecture != data.Architecture)
                throw new ArgumentException($"the model in {directory} ({modelConfig.Architecture}, vocabulary {modelConfig.TargetVocab}) does not fit the data ({data.Architecture}, vocabulary {data.Tokenizer.VocabSize})");

            ModelMemory.Require(modelConfig, copies: 4, "training it (weights, gradients and Adam's two moments)");
            var modelRng = new Rng(options.Seed);
            var model = SequenceModel.Create(modelConfig, modelRng);
            var trainer = new Trainer(model, modelRng, data.Train, data.Valid, options, directory);
            if (resuming)
            {
                trainer.Resume();
                Console.Error.WriteLine($"resuming at step {trainer.Step} of {options.Steps}");
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"training {model.ParameterCount():N0} parameters on '{spec.Describe()}' for {options.Steps} steps, {Parallelism.Threads} thread(s) → {directory}"));
            trainer.Progress = new TrainingProgressBar(Console.Error, interactive: !Console.IsErrorRedirected).Report;
            trainer.Run();
            string summary = $"done: step {trainer.Step}; model in {directory}";
            if (data.Valid.Count > 0)
            {
                var (validLoss, accuracy) = TeacherForcedEvaluation.Run(model, data.Valid);
                summary = string.Create(CultureInfo.InvariantCulture, $"done: step {trainer.Step}, validation loss {validLoss:F4}, token accuracy {accuracy:P2}; model in {directory}");
            }
            Console.WriteLine(summary);
            return 0;
        }));
        return command;
    }

    private static TransformerConfig ModelConfig(string? configPath, string preset, TrainingData data, int maxLength)
    {
        int vocab = data.Tokenizer.VocabSize;
        var baseConfig = configPath is not null ? TransformerConfigFile.Read(configPath) : preset switch
        {
            "small" => TransformerConfig.Small(vocab),
            "big" => TransformerConfig.Big(vocab),
            "base" => TransformerConfig.Base(vocab),
            _ => TransformerConfig.Tiny(vocab),
        };
        var config = baseConfig with { SourceVocab = vocab, TargetVocab = vocab, MaxLength = maxLength + 2, PadId = data.Tokenizer.SpecialTokens.Pad ?? 0 };
        return data.Architecture == Architecture.DecoderOnly
            ? config with { Architecture = Architecture.DecoderOnly, DecoderLayers = config.EncoderLayers + config.DecoderLayers, EncoderLayers = 0, TieOutput = true }
            : config;
    }
}
