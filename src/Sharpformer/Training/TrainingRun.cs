using System.Globalization;
using Sharpformer.Data;
using Sharpformer.Distributed;
using Sharpformer.Kernels;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Training;

/// <summary>
/// A training run set up from <see cref="TrainingRunOptions"/>: the data loaded (and the tokenizer trained,
/// or reloaded on resume), the model built, the checkpoint resumed when asked. <see cref="Run"/> trains it.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>The model sizes <see cref="TrainingRunOptions.Preset"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Presets = ["tiny", "small", "big", "base"];

    private readonly Action<string> _log;

    private TrainingRun(TrainingRunOptions setup, TrainingData data, TrainingOptions options, SequenceModel model, Trainer trainer,
                        Action<string> log)
    {
        (Setup, Data, Options, Model, Trainer, _log) = (setup, data, options, model, trainer, log);
    }

    /// <summary>The options the run was started from.</summary>
    public TrainingRunOptions Setup { get; }

    /// <summary>The tokenizer, training stream and validation batches.</summary>
    public TrainingData Data { get; }

    /// <summary>The training options in force (a resumed run's come from its checkpoint).</summary>
    public TrainingOptions Options { get; }

    /// <summary>The model being trained.</summary>
    public SequenceModel Model { get; }

    /// <summary>The trainer; set <see cref="Trainer.Progress"/> to follow the run.</summary>
    public Trainer Trainer { get; }

    /// <summary>Whether the run continues a checkpoint.</summary>
    public bool Resumed { get; private set; }

    /// <summary>
    /// Sets up a run: checks the options, loads the data (training the tokenizer for a new run and saving it
    /// into the directory), builds the model, and restores the checkpoint on resume. <paramref name="log"/>
    /// receives one line per notable event (tokenizer training, skipped lines, resuming).
    /// </summary>
    /// <exception cref="ArgumentException">The options contradict each other or do not fit the directory's checkpoint.</exception>
    /// <exception cref="IO.InvalidFileException">A data file, or a file of a resumed run, is missing or damaged.</exception>
    /// <remarks>
    /// With <paramref name="parallel"/> every rank of an MPI job calls this with the same options: each loads the data
    /// (the same tokenizer, the same batches) and builds the model, and rank 0 alone writes into the directory, which a
    /// resume needs every rank to see (one machine, or a shared file system). With <paramref name="tensorParallel"/> the
    /// ranks of its group split the model between them (<see cref="SequenceModel.SplitAcross"/>) and compute their batch
    /// together; with both, each data-parallel rank is such a group (Megatron's layout: the model split within a group,
    /// the batch shared between groups). Rank 0 of the job writes the whole model.
    /// </remarks>
    public static TrainingRun Start(TrainingRunOptions setup, Action<string>? log = null, DataParallel? parallel = null,
        TensorParallel? tensorParallel = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        if (tensorParallel is not null && setup.Lora is not null)
            throw new ArgumentException("tensor parallelism splits whole weights, not LoRA adapters: fine-tune with LoRA in one process " +
                                        "or with data parallelism");
        bool leader = (parallel?.World.Rank ?? 0) == 0 && (tensorParallel?.Rank ?? 0) == 0;
        log ??= _ => { };
        var spec = new DataSpec(setup.Task, setup.TrainFile, setup.ValidFile);
        CheckSetup(setup);
        if (!setup.Resume) setup.Training.Validate();   // before the data loads (a resumed run's options are checked once known)
        string directory = setup.Directory;
        var checkpoint = TrainerCheckpoint.TryRead(directory);
        bool resuming = setup.Resume;
        if (!resuming && checkpoint is not null)
            throw new ArgumentException($"{directory} already holds a checkpoint: resume it, or choose another directory");
        if (resuming && checkpoint is null)
        {
            log($"{directory} holds no checkpoint yet: starting a new run");
            resuming = false;
        }

        TrainingOptions? saved = checkpoint?.Options;
        ulong seed = saved?.Seed ?? setup.Training.Seed;
        // A fine-tuning run starts from a base model: named by the options, or for a resumed LoRA run by its adapter config.
        // A LoRA run killed before its first checkpoint starts again from its adapter config (its base and adapters).
        var adapters = setup.Resume && LoraDirectory.Holds(directory) ? ResumedAdapters(directory, setup, leader) : null;
        if (resuming && adapters is null && setup.Lora is not null)
            throw new ArgumentException($"{directory} is not a LoRA run: resuming it cannot add adapters");
        var lora = adapters?.Options ?? (resuming ? null : setup.Lora);
        if (lora is null && LoraDirectory.Holds(directory))
            throw new ArgumentException($"{directory} holds LoRA adapters ({LoraDirectory.ConfigFile}), which would be opened instead " +
                                        "of the model this run writes: choose another directory");
        string? baseDirectory = adapters?.BaseModel ?? (resuming ? null : setup.InitFrom);
        var baseFiles = baseDirectory is null ? null : OpenBase(baseDirectory, adapters, lora);
        int maxLength = baseFiles is null ? setup.MaxLength : Math.Min(setup.MaxLength, baseFiles.Model.Config.MaxLength - 2);
        var settings = new DataSettings(setup.BatchTokens, maxLength, setup.BpeVocabSize, setup.SkipBadLines, seed);
        if (resuming && setup.TokenizerFile is not null)
            throw new ArgumentException($"{directory} is resumed with the tokenizer it was started with: drop the tokenizer file");
        var tokenizer = resuming ? ITokenizer.Load(Path.Combine(directory, ModelDirectory.TokenizerFile))
            : baseFiles?.Tokenizer ?? (setup.TokenizerFile is { } file ? ModelTokenizer.From(ITokenizer.Load(file), file, log) : null);
        var data = TrainingData.Load(spec, settings, tokenizer, log);

        TransformerConfig config;
        TrainingOptions options;
        if (saved is not null)
        {
            config = baseFiles is not null && adapters is not null ? AdaptedConfig(directory, baseFiles.Model.Config)
                : ModelDirectory.ReadConfig(directory);
            if (setup.ResumeOptions is not null && setup.Dropout is float dropout) config = config with { Dropout = dropout };
            if (setup.ResumeOptions is { } given && given.Seed != saved.Seed)
                throw new ArgumentException($"resuming cannot change the seed ({saved.Seed} in the checkpoint, {given.Seed} given): " +
                                            "the data order and the dropout generators continue from the checkpoint's position in it");
            var continued = setup.ResumeOptions ?? saved;
            options = setup.ResumeSteps is int steps ? continued with { Steps = steps } : continued;
            if (setup.ResumeMaxMinutes is double minutes) options = options with { MaxMinutes = minutes };
        }
        else
        {
            config = baseFiles is null ? NewModelConfig(setup, data)
                : setup.Dropout is float dropout ? baseFiles.Model.Config with { Dropout = dropout } : baseFiles.Model.Config;
            options = setup.Epochs is int epochs ? setup.Training with { Steps = EpochSteps(epochs, data) } : setup.Training;
        }
        options.Validate();
        if (config.TargetVocab != data.Tokenizer.VocabSize || config.Architecture != data.Architecture)
            throw new ArgumentException($"the model in {directory} ({config.Architecture}, vocabulary {config.TargetVocab}) "
                + $"does not fit the data ({data.Architecture}, vocabulary {data.Tokenizer.VocabSize})");

        ModelMemory.Require(config, copies: 4, "training it (weights, gradients and Adam's two moments)");
        var modelRng = new Rng(options.Seed);
        var model = SequenceModel.Create(config, modelRng);
        if (baseFiles is not null)
        {
            // The base's weights in a model whose dropout draws from the run's generator (checkpointed with it).
            model.LoadStateDict(baseFiles.Model.StateDict().ToDictionary(p => p.Key, p => p.Value));
            if (lora is not null) model.AddLora(lora, modelRng);   // the adapters' dropout draws from the checkpointed generator too
        }
        if (tensorParallel is not null) model.SplitAcross(tensorParallel);   // every rank built the same whole model: each keeps its share
        var translations = data.ValidPairs.Count > 0 ? new TranslationValidation(data.Tokenizer, data.ValidPairs) : null;
        var trainer = new Trainer(model, modelRng, data.Train, data.Valid, options, directory, parallel, translations);
        if (!resuming && leader)
        {
            // Written once every setting is checked, so a refused run leaves no directory that looks like a run.
            data.Tokenizer.Save(Path.Combine(directory, ModelDirectory.TokenizerFile));
            if (lora is not null)
                LoraDirectory.WriteConfig(directory, new LoraAdapterConfig(Path.GetFullPath(baseDirectory!),
                    LoraDirectory.HashWeights(baseDirectory!), lora));
        }
        var run = new TrainingRun(setup, data, options, model, trainer, log);
        if (resuming)
        {
            trainer.Resume();
            run.Resumed = true;
            string length = options.MaxMinutes <= 0 ? $"of {options.Steps}" : string.Create(CultureInfo.InvariantCulture,
                $"({trainer.TrainingMinutes:F1} of {options.MaxMinutes:0.##} minutes trained)");
            log(trainer.Ended is { } why ? $"{directory} has ended: {why}" : $"resuming at step {trainer.Step} {length}");
        }
        return run;
    }

    /// <summary>A one-line description of the run for a log: parameters, data, steps, threads and directory.</summary>
    public string Describe()
    {
        string data = new DataSpec(Setup.Task, Setup.TrainFile, Setup.ValidFile).Describe();
        long trainable = Model.Parameters().Where(p => p.RequiresGrad).Sum(p => (long)Count(p));
        string what = Model.HasLora
            ? string.Create(CultureInfo.InvariantCulture,
                $"{trainable:N0} adapter parameters ({100.0 * trainable / Model.ParameterCount():F2}% of {Model.ParameterCount():N0})")
            : string.Create(CultureInfo.InvariantCulture, $"{Model.Parameters().Sum(p => (long)Count(p)):N0} parameters");
        string precision = Options.Precision == Precision.BFloat16 ? " in bf16 mixed precision" : "";
        string ranks = (Trainer.Parallel is { } parallel ? $"{parallel.World.Size} ranks × " : "")
            + (Model.TensorParallel is { } split ? $"split over {split.Size} ranks (tensor parallel) × " : "");
        string minutes = Options.MaxMinutes.ToString("0.##", CultureInfo.InvariantCulture);
        string length = Options.MaxMinutes <= 0 ? $"{Options.Steps} steps"
            : Options.Steps == int.MaxValue ? $"{minutes} minutes"
            : $"{Options.Steps} steps or {minutes} minutes, whichever ends first";
        return string.Create(CultureInfo.InvariantCulture,
            $"training {what} on '{data}' for {length}{precision}, {ranks}{Parallelism.Threads} thread(s) → {Setup.Directory}");
    }

    // A parameter's element count in the whole model (a split model's rank holds a share).
    private int Count(Tensor parameter) => Model.TensorParallel is { } split ? Shapes.Count(split.WholeShape(parameter)) : parameter.Length;

    /// <summary>
    /// Trains to the last step (checkpointing, logging and evaluating as the options say), then measures
    /// the validation set once more.
    /// </summary>
    /// <param name="cancel">Stops the run between two updates, checkpointing the last (see <see cref="Trainer.Run"/>).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> stopped the run; its checkpoint is written.</exception>
    public TrainingRunResult Run(CancellationToken cancel = default)
    {
        Trainer.Run(cancel);
        var end = Trainer.EndReason ?? throw new InvalidOperationException("the trainer stopped with steps left");
        if (Data.Valid.Count == 0 || !Trainer.EvaluatesValidation)
            return new TrainingRunResult(Trainer.Step, null, null, end, Trainer.Ended!);
        var (loss, accuracy) = TeacherForcedEvaluation.Run(Model, Data.Valid);   // every rank of a split model computes it together
        return new TrainingRunResult(Trainer.Step, loss, accuracy, end, Trainer.Ended!);
    }

    // The model to fine-tune: float32, a model directory of its own when adapters are to be added (their config records
    // its weights' hash), still the weights a resumed run's adapters were trained on, and able to take the adapters.
    private static ModelFiles OpenBase(string directory, LoraAdapterConfig? adapters, LoraOptions? lora)
    {
        if (lora is not null && LoraDirectory.Holds(directory))
            throw new ArgumentException($"{directory} holds LoRA adapters, not a model: merge them into a model directory of " +
                                        "their own first, and put new adapters on that");
        if (adapters is not null && !Directory.Exists(directory))
            throw new IO.InvalidFileException(directory, "the base model of this run's adapters does not exist: if it moved, name " +
                                                         "it again as the model to fine-tune");
        if (adapters is not null && LoraDirectory.HashWeights(directory) != adapters.BaseWeightsSha256)
            throw new IO.InvalidFileException(Path.Combine(directory, ModelDirectory.WeightsFile),
                "its weights changed since the adapters of this run were trained on them");
        var files = ModelDirectory.Open(directory);
        if (files.Model.IsQuantized)
            throw new ArgumentException($"{directory}: the model's weights are int8; fine-tune the float32 model");
        lora?.Validate(files.Model.Config);   // before the run's directory is written
        return files;
    }

    // A resumed LoRA run's model: its base's, with the run's dropout (its config.json, written by the trainer; a run
    // written before LoRA runs kept one trains with the base's).
    private static TransformerConfig AdaptedConfig(string directory, TransformerConfig baseConfig) =>
        File.Exists(Path.Combine(directory, ModelDirectory.ConfigFile))
            ? baseConfig with { Dropout = ModelDirectory.ReadConfig(directory).Dropout }
            : baseConfig;

    // A resumed LoRA run's adapter config. Its adapters cannot change (their shapes and scaling are in the checkpoint); a
    // base named again may be the recorded one moved elsewhere: with the same weights it becomes the run's base from now on.
    private static LoraAdapterConfig ResumedAdapters(string directory, TrainingRunOptions setup, bool leader)
    {
        var adapters = LoraDirectory.ReadConfig(directory);
        if (setup.Lora is { } given && given != adapters.Options)
            throw new ArgumentException($"resuming cannot change a LoRA run's adapters: they are {Settings(adapters.Options)}, " +
                                        $"not {Settings(given)}; drop the LoRA settings to continue with them");
        if (setup.InitFrom is not { } moved || Path.GetFullPath(moved) == adapters.BaseModel) return adapters;
        if (!Directory.Exists(moved) || LoraDirectory.HashWeights(moved) != adapters.BaseWeightsSha256)
            throw new ArgumentException($"{moved} is not the base this run's adapters were trained on (its weights differ from " +
                                        $"those of {adapters.BaseModel}, SHA-256 {adapters.BaseWeightsSha256[..12]}…)");
        adapters = adapters with { BaseModel = Path.GetFullPath(moved) };
        if (leader) LoraDirectory.WriteConfig(directory, adapters);
        return adapters;
    }

    private static string Settings(LoraOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"rank {o.Rank}, α {o.Alpha}, dropout {o.Dropout}, targets {LoraOptions.FormatTargets(o.Targets)}, " +
        $"bias {(o.TrainBiases ? "all" : "none")}");

    // What TrainingData.Load does not check itself (it checks the task and files).
    private static void CheckSetup(TrainingRunOptions setup)
    {
        if (setup.Lora is not null && setup.InitFrom is null && !(setup.Resume && LoraDirectory.Holds(setup.Directory)))
            throw new ArgumentException("LoRA adapters need a base model to adapt: name the model directory to fine-tune");
        if (setup.InitFrom is not null && (setup.Model is not null || setup.Positional is not null || setup.RopeBase is not null))
            throw new ArgumentException("a fine-tuning run keeps its base model's architecture: drop the model settings");
        if (setup.InitFrom is not null && setup.TokenizerFile is not null)
            throw new ArgumentException("a fine-tuning run keeps its base model's tokenizer: drop the tokenizer file");
        if (setup.TokenizerFile is not null && setup.Task is { } task && Sharpformer.Data.ToyTask.Parse(task) is not null)
            throw new ArgumentException($"the generated task '{task}' has its own character tokenizer: drop the tokenizer file");
        if (string.IsNullOrEmpty(setup.Directory)) throw new ArgumentException("a training run needs a directory");
        if (setup.Model is null && !Presets.Contains(setup.Preset))
            throw new ArgumentException($"unknown preset '{setup.Preset}' (known: {string.Join(", ", Presets)})");
        if (setup.Epochs is < 1) throw new ArgumentException($"epochs must be at least 1, got {setup.Epochs}");
        if (setup.ResumeSteps is < 1) throw new ArgumentException($"steps must be at least 1, got {setup.ResumeSteps}");
        if (setup.Dropout is { } p && !(p is >= 0f and < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {p}");
    }

    private static int EpochSteps(int epochs, TrainingData data) => data.BatchesPerEpoch > 0
        ? (int)Math.Clamp((long)epochs * data.BatchesPerEpoch, 1, int.MaxValue)
        : throw new ArgumentException(
            "epochs need a fixed data set (a training file or a corpus task); give a step count for a generated task");

    // The architecture for a new run, sized to the data: vocabulary, maximum length (with <bos>/<eos>) and padding id.
    private static TransformerConfig NewModelConfig(TrainingRunOptions setup, TrainingData data)
    {
        int vocab = data.Tokenizer.VocabSize;
        var ids = SpecialIds.Of(data.Tokenizer.SpecialTokens);
        var architecture = setup.Model ?? setup.Preset switch
        {
            "small" => TransformerConfig.Small(vocab),
            "big" => TransformerConfig.Big(vocab),
            "base" => TransformerConfig.Base(vocab),
            _ => TransformerConfig.Tiny(vocab),
        };
        var config = architecture with
        {
            SourceVocab = vocab, TargetVocab = vocab, MaxLength = setup.MaxLength + 2,
            PadId = ids.Pad, BosId = ids.Bos, EosId = ids.Eos,
        };
        if (setup.Dropout is float dropout) config = config with { Dropout = dropout };
        if (setup.Positional is PositionalKind positional) config = config with { Positional = positional };
        if (setup.RopeBase is float ropeBase) config = config with { RopeBase = ropeBase };
        if (config.Problem() is { } problem) throw new ArgumentException($"the model does not work: {problem}");
        return data.Architecture == Architecture.DecoderOnly
            ? config with
            {
                Architecture = Architecture.DecoderOnly, DecoderLayers = config.EncoderLayers + config.DecoderLayers, EncoderLayers = 0,
                TieOutput = true,
            }
            : config;
    }
}
