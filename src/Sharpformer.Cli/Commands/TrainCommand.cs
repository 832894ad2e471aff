using System.CommandLine;
using System.Globalization;
using Sharpformer.Cli.Display;
using Sharpformer.Data;
using Sharpformer.Kernels;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer train</c>: trains a model on a task or TSV files and writes a model directory.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingRunOptions { Directory = "" };
        var task = new Option<string?>("--task")
        {
            HelpName = "NAME",
            Description = $"Built-in task: {string.Join(", ", DataSpec.TaskNames)}.",
        };
        var train = new Option<string?>("--train")
        {
            HelpName = "FILE",
            Description = "Training data: a .tsv file of pairs (source<TAB>target per line) trains a translation model; any other " +
                          "UTF-8 text file trains a language model.",
        };
        var valid = new Option<string?>("--valid")
        {
            HelpName = "FILE",
            Description = "Validation data in --train's form (TSV pairs, or text for a language model), evaluated every " +
                          "--eval-every updates.",
        };
        var output = new Option<string>("--out")
        {
            HelpName = "DIR",
            Description = "Model directory to write (created if needed).",
            Required = true,
        };
        var preset = new Option<string>("--preset")
        {
            Description = $"Model size: {string.Join(", ", TrainingRun.Presets)}.", DefaultValueFactory = _ => defaults.Preset,
        };
        preset.AcceptOnlyFromAmong([.. TrainingRun.Presets]);
        var positional = new Option<string?>("--positional")
        {
            Description = "Positions: sinusoidal (added to the embeddings, the paper) or rope (rotary queries and keys).",
        };
        positional.AcceptOnlyFromAmong("sinusoidal", "rope");
        var ropeBase = CliOptions.Float("--rope-base", "The base θ of rotary positions [default: the architecture's, else 10000].", null,
            1.0001f, 1e9f);
        var config = new Option<string?>("--config")
        {
            HelpName = "FILE",
            Description = "A config.json giving the architecture (instead of --preset).",
        };
        var steps = CliOptions.Int("--steps", "Optimizer updates.", defaults.Training.Steps);
        var epochs = CliOptions.Int("--epochs", "Passes over the training data (instead of --steps; not for generated tasks).", null);
        var batchTokens = CliOptions.Int("--batch-tokens", "Padded tokens per batch (approximately).", defaults.BatchTokens);
        var maxLength = CliOptions.Int("--max-length", "Longest sequence in tokens; longer ones are cut (and counted).", defaults.MaxLength,
            minimum: 4);
        var vocabSize = CliOptions.Int("--vocab-size",
            $"Size of the BPE vocabulary trained on the data [default: --config's target_vocab, else {
                TrainingRunOptions.DefaultVocabSize}].",
            null, minimum: 260);
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "Train with this tokenizer.json instead of a new BPE: Sharpformer's (bpe, char or word) or a byte-level BPE " +
                "one in Hugging Face's schema (GPT-2's, say); its ids stay, and missing <pad>, <bos>, <eos> are added after them.",
            HelpName = "FILE",
        };
        var lr = CliOptions.Float("--lr", "Peak learning rate.", defaults.Training.Lr, 1e-8f, 10f);
        var dropout = CliOptions.Float("--dropout",
            "Dropout probability [default: the architecture's: --config's or the base's, else 0.1].", null, 0f, 0.9f);
        var labelSmoothing = CliOptions.Float("--label-smoothing", "Label smoothing of the loss.", defaults.Training.LabelSmoothing,
            0f, 0.9f);
        var warmup = CliOptions.Int("--warmup", "Warmup updates.", defaults.Training.Warmup, minimum: 0);
        var schedule = new Option<string>("--schedule")
        {
            Description = "The learning rate after the warmup: cosine or linear decay to zero at the last update, inverse_sqrt " +
                          "(the paper's), or constant.",
            DefaultValueFactory = _ => ScheduleName(defaults.Training.Schedule),
        };
        schedule.AcceptOnlyFromAmong([.. Schedules.Keys]);
        var beta2 = CliOptions.Float("--beta2", "Adam's β₂, the decay of its squared-gradient average (0.98 in the paper).",
            defaults.Training.Beta2, 1e-6f, 0.999999f);
        var weightDecay = CliOptions.Float("--weight-decay",
            "AdamW's decoupled weight decay on the weight matrices (never biases, norms or embeddings); 0 is plain Adam.",
            defaults.Training.WeightDecay, 0f, 10f);
        var clipNorm = CliOptions.Float("--clip-norm", "Clip the global gradient norm to X before each update (0: no clipping).",
            defaults.Training.ClipNorm, 0f, 1e6f);
        var accumulation = CliOptions.Int("--accumulation",
            "Batches of --batch-tokens whose gradients make one update (a batch N times larger in the same memory).",
            defaults.Training.Accumulation);
        var seed = CliOptions.Int("--seed", "Seed of initialization, dropout and data order.", (int)defaults.Training.Seed, minimum: 0);
        var threads = CliOptions.Threads();
        var saveEvery = CliOptions.Int("--save-every", "Checkpoint every N updates (0: only at the end).", defaults.Training.SaveEvery,
            minimum: 0);
        var evalEvery = CliOptions.Int("--eval-every", "Validate every N updates (0: only at the end).", defaults.Training.EvalEvery,
            minimum: 0);
        var logEvery = CliOptions.Int("--log-every", "Append a line to metrics.jsonl every N updates.", defaults.Training.LogEvery);
        var skipBad = new Option<bool>("--skip-bad-lines")
        {
            Description = "Skip and count malformed TSV lines instead of stopping at the first.",
        };
        var initFrom = new Option<string?>("--init-from")
        {
            Description = "Fine-tune this model directory: its architecture, weights and tokenizer are the start.", HelpName = "DIR",
        };
        var loraDefaults = new LoraOptions();
        var loraRank = CliOptions.Int("--lora-rank",
            "With --init-from: train rank-N LoRA adapters beside the frozen weights (8 is common); without it every weight trains.", null);
        var loraAlpha = CliOptions.Float("--lora-alpha", "LoRA scaling α (the adapters' updates are multiplied by α / rank).",
            loraDefaults.Alpha, 1e-6f, LoraOptions.MaxAlpha);
        var loraDropout = CliOptions.Float("--lora-dropout", "Dropout on the adapters' input.",
            loraDefaults.Dropout, 0f, 0.9f);
        var loraTargets = new Option<string>("--lora-targets")
        {
            Description = "Weights that get adapters, separated by commas: q, k, v, o, ff, attention, all (those), emb (the vocabulary).",
            HelpName = "LIST",
            DefaultValueFactory = _ => LoraOptions.FormatTargets(loraDefaults.Targets),
        };
        var loraBias = new Option<string>("--lora-bias")
        {
            Description = "With --lora-rank: none, or all (every bias trains too, as PEFT's bias=\"all\").",
            DefaultValueFactory = _ => "none",
        };
        loraBias.AcceptOnlyFromAmong("none", "all");
        var loraPlus = CliOptions.Float("--lora-plus-ratio",
            "LoRA+: the adapters' B matrices learn with this many times --lr (16 in the LoRA+ paper; 1 is plain LoRA).",
            1f, 1e-3f, 1e4f);
        var precision = new Option<string>("--precision")
        {
            Description = "fp32, or bf16 mixed precision (float32 master weights and Adam; bfloat16 weight copies and saved activations).",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "bf16");
        var tensorParallel = CliOptions.Int("--tensor-parallel",
            "Under mpirun -np N: split every attention and feed-forward block over the N ranks (Megatron-style) instead of the batch.",
            1);
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue from the checkpoint in --out with its settings (--steps may extend the run).",
        };
        var force = new Option<bool>("--force")
        {
            Description = "With --resume: continue with settings that differ from the checkpoint's (listed) instead of " +
                          "refusing; never the seed or the positions.",
        };
        var validation = new ValidationFlags();

        var command = new Command("train",
            "Train a Transformer and write its model directory (config, weights, tokenizer, metrics, checkpoint).")
        {
            task, train, valid, output, preset, config, positional, ropeBase, steps, epochs, batchTokens, maxLength, vocabSize, tokenizer,
            lr, dropout, labelSmoothing, warmup, schedule, beta2, weightDecay, clipNorm, accumulation, seed, threads, saveEvery,
            evalEvery, logEvery, skipBad, initFrom, loraRank, loraAlpha, loraDropout, loraTargets, loraBias, loraPlus, precision,
            tensorParallel, resume, force,
        };
        validation.AddTo(command);
        command.SetAction(result => MpiJob.Run(job =>
        {
            var (parallel, split) = MpiJob.Plan(job, result.GetValue(tensorParallel));
            Parallelism.Threads = result.GetValue(threads);
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            string? configPath = result.GetValue(config);
            bool lora = Given(loraRank);
            if (!lora && (Given(loraAlpha) || Given(loraDropout) || Given(loraTargets) || Given(loraBias) || Given(loraPlus)))
                throw new ArgumentException(
                    "--lora-alpha, --lora-dropout, --lora-targets, --lora-bias and --lora-plus-ratio need --lora-rank");
            if (lora && result.GetValue(initFrom) is null && !(result.GetValue(resume) && LoraDirectory.Holds(result.GetValue(output)!)))
                throw new ArgumentException("--lora-rank adapts a model: give it with --init-from DIR");
            if (result.GetValue(initFrom) is not null && (configPath is not null || Given(preset) || Given(vocabSize)))
                throw new ArgumentException("--init-from fine-tunes its model: --preset, --config and --vocab-size do not apply");
            if (result.GetValue(tokenizer) is not null && Given(vocabSize))
                throw new ArgumentException("--tokenizer gives the vocabulary: --vocab-size does not apply");
            var setup = new TrainingRunOptions
            {
                Directory = result.GetValue(output)!,
                Task = result.GetValue(task),
                TrainFile = result.GetValue(train),
                ValidFile = result.GetValue(valid),
                SkipBadLines = result.GetValue(skipBad),
                Model = configPath is null ? null : TransformerConfigFile.Read(configPath),
                Preset = result.GetValue(preset)!,
                Dropout = Given(dropout) ? result.GetValue(dropout) : null,
                Positional = result.GetValue(positional) is { } kind ? Enum.Parse<PositionalKind>(kind, ignoreCase: true) : null,
                RopeBase = Given(ropeBase) ? result.GetValue(ropeBase) : null,
                VocabSize = Given(vocabSize) ? result.GetValue(vocabSize) : null,   // null: the config's vocabulary, else 8,000
                TokenizerFile = result.GetValue(tokenizer),
                MaxLength = result.GetValue(maxLength),
                BatchTokens = result.GetValue(batchTokens),
                Training = validation.Apply(result, new TrainingOptions
                {
                    Steps = result.GetValue(steps), Lr = result.GetValue(lr), Warmup = result.GetValue(warmup),
                    Schedule = Schedules[result.GetValue(schedule)!], Beta2 = result.GetValue(beta2),
                    WeightDecay = result.GetValue(weightDecay), ClipNorm = result.GetValue(clipNorm),
                    Accumulation = result.GetValue(accumulation),
                    Seed = (ulong)result.GetValue(seed), LabelSmoothing = result.GetValue(labelSmoothing),
                    SaveEvery = result.GetValue(saveEvery), EvalEvery = result.GetValue(evalEvery), LogEvery = result.GetValue(logEvery),
                    Precision = result.GetValue(precision) == "bf16" ? Precision.BFloat16 : Precision.Float32,
                    LoraPlusRatio = result.GetValue(loraPlus),
                }, stepsGiven: Given(steps), resuming: result.GetValue(resume)),
                Epochs = Given(epochs) ? result.GetValue(epochs) : null,
                InitFrom = result.GetValue(initFrom),
                Lora = lora
                    ? new LoraOptions
                    {
                        Rank = result.GetValue(loraRank), Alpha = result.GetValue(loraAlpha), Dropout = result.GetValue(loraDropout),
                        Targets = LoraOptions.ParseTargets(result.GetValue(loraTargets)!),
                        TrainBiases = result.GetValue(loraBias) == "all",
                    }
                    : null,
                Resume = result.GetValue(resume),
                ResumeSteps = Given(steps) ? result.GetValue(steps) : null,
                ResumeMaxMinutes = Given(validation.MaxMinutes) ? Math.Round((double)result.GetValue(validation.MaxMinutes), 6) : null,
            };
            if (result.GetValue(force) && !setup.Resume) throw new ArgumentException("--force goes with --resume");
            if (setup is { Resume: true, Lora: { } givenLora } && LoraDirectory.Holds(setup.Directory))
            {
                // The adapters cannot change on resume: the flags given must match the run's, the others are the run's.
                var kept = LoraDirectory.ReadConfig(setup.Directory).Options;
                setup = setup with
                {
                    Lora = givenLora with
                    {
                        Alpha = Given(loraAlpha) ? givenLora.Alpha : kept.Alpha,
                        Dropout = Given(loraDropout) ? givenLora.Dropout : kept.Dropout,
                        Targets = Given(loraTargets) ? givenLora.Targets : kept.Targets,
                        TrainBiases = Given(loraBias) ? givenLora.TrainBiases : kept.TrainBiases,
                    },
                };
            }
            if (setup.Resume && TrainerCheckpoint.TryRead(setup.Directory) is { Options: var saved })
            {
                // A LoRA run's config.json is its base's with the run's dropout (none in runs written before it kept one).
                var model = File.Exists(Path.Combine(setup.Directory, ModelDirectory.ConfigFile))
                    ? ModelDirectory.ReadConfig(setup.Directory) : null;
                var given = setup.Training;
                T Pick<T>(Option option, T value, T kept) => Given(option) ? value : kept;
                var (continued, validationDifferences) = validation.Continue(result, saved);
                setup = setup with
                {
                    ResumeOptions = ResumeCheck.Continue(setup.Directory, continued with
                    {
                        Lr = Pick(lr, given.Lr, saved.Lr), Warmup = Pick(warmup, given.Warmup, saved.Warmup),
                        Schedule = Pick(schedule, given.Schedule, saved.Schedule), Beta2 = Pick(beta2, given.Beta2, saved.Beta2),
                        WeightDecay = Pick(weightDecay, given.WeightDecay, saved.WeightDecay),
                        ClipNorm = Pick(clipNorm, given.ClipNorm, saved.ClipNorm),
                        Accumulation = Pick(accumulation, given.Accumulation, saved.Accumulation),
                        Seed = Pick(seed, given.Seed, saved.Seed),
                        LabelSmoothing = Pick(labelSmoothing, given.LabelSmoothing, saved.LabelSmoothing),
                        Precision = Pick(precision, given.Precision, saved.Precision),
                        LoraPlusRatio = Pick(loraPlus, given.LoraPlusRatio, saved.LoraPlusRatio),
                        SaveEvery = Pick(saveEvery, given.SaveEvery, saved.SaveEvery),
                        EvalEvery = Pick(evalEvery, given.EvalEvery, saved.EvalEvery),
                        LogEvery = Pick(logEvery, given.LogEvery, saved.LogEvery),
                    }, result.GetValue(force),
                    [
                        ResumeCheck.Compare(result, lr, saved.Lr), ResumeCheck.Compare(result, warmup, saved.Warmup),
                        ResumeCheck.Compare(result, schedule, ScheduleName(saved.Schedule)),
                        ResumeCheck.Compare(result, beta2, saved.Beta2),
                        ResumeCheck.Compare(result, weightDecay, saved.WeightDecay), ResumeCheck.Compare(result, clipNorm, saved.ClipNorm),
                        ResumeCheck.Compare(result, accumulation, saved.Accumulation),
                        ResumeCheck.Compare(result, seed, (int)saved.Seed),
                        ResumeCheck.Compare(result, labelSmoothing, saved.LabelSmoothing),
                        ResumeCheck.Compare(result, precision, saved.Precision == Precision.BFloat16 ? "bf16" : "fp32"),
                        ResumeCheck.Compare(result, loraPlus, saved.LoraPlusRatio), ResumeCheck.Compare(result, saveEvery, saved.SaveEvery),
                        ResumeCheck.Compare(result, evalEvery, saved.EvalEvery), ResumeCheck.Compare(result, logEvery, saved.LogEvery),
                        model is null ? null : ResumeCheck.Compare(result, dropout, model.Dropout),
                        model is null ? null
                            : ResumeCheck.Compare(result, positional, model.Positional == PositionalKind.Rope ? "rope" : "sinusoidal"),
                        model is null ? null : ResumeCheck.Compare(result, ropeBase, model.RopeBase),
                        .. validationDifferences,
                    ]),
                };
            }
            bool leader = job?.Rank is null or 0;   // in an MPI job rank 0 alone reports
            var run = TrainingRun.Start(setup, message => { if (leader) Console.Error.WriteLine(message); }, parallel, split);
            if (leader) Console.Error.WriteLine(run.Describe());
            if (leader && !run.Resumed && run.Options.Warmup > run.Options.Steps)   // said once, when the run is set up
                Console.Error.WriteLine($"sharpformer: warning: the warmup ({run.Options.Warmup} updates) is longer than the run " +
                                        $"({run.Options.Steps}): the learning rate never reaches its peak");
            run.Trainer.Progress = new TrainingProgressBar(Console.Error, interactive: !Console.IsErrorRedirected).Report;
            TrainingRunResult done;
            using (var stop = new StopSignal(leader))
            {
                try
                {
                    done = run.Run(stop.Token);
                }
                catch (OperationCanceledException e)   // a signal here or, in a job, on rank 0
                {
                    if (leader) Console.Error.WriteLine($"sharpformer: {e.Message}: continue it with --resume");
                    return stop.ExitCode;
                }
            }
            string why = done.End == TrainingEnd.StepsDone ? "" : $", {done.EndDescription}";   // a budget or the patience
            if (leader)
                Console.WriteLine(done.ValidLoss is float loss && done.TokenAccuracy is float accuracy
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"done: step {done.Step}{why}; validation loss {loss:F4}, token accuracy {accuracy:P2}; model in {setup.Directory}")
                    : $"done: step {done.Step}{why}; model in {setup.Directory}");
            if (leader && run.Options.KeepBest && run.Trainer.Best is { } best
                && File.Exists(Path.Combine(setup.Directory, Trainer.BestFolder, Trainer.BestRecordFile)))
                Console.WriteLine($"best: step {best.Step} by validation {(run.Options.BestBy == BestMetric.Bleu ? "BLEU" : "loss")
                    }; model in {Path.Combine(setup.Directory, Trainer.BestFolder)}");
            return 0;
        }));
        return command;
    }

    // --schedule's values: the names checkpoints record (trainer.json's "schedule").
    private static readonly Dictionary<string, ScheduleKind> Schedules = new()
    {
        ["cosine"] = ScheduleKind.Cosine, ["linear"] = ScheduleKind.Linear, ["inverse_sqrt"] = ScheduleKind.InverseSqrt,
        ["constant"] = ScheduleKind.Constant,
    };

    private static string ScheduleName(ScheduleKind kind) => Schedules.First(pair => pair.Value == kind).Key;
}
