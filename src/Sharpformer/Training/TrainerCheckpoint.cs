using Sharpformer.IO;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>
/// Everything besides tensors that an exact resume needs: where training stopped, the data stream's
/// position, the dropout generator's state (four words per rank of a data-parallel run) and the run's options. Stored as metadata inside
/// trainer-state.safetensors, so that one atomic file is the whole checkpoint, and copied to
/// trainer.json for people to read (nothing reads that copy back). It records the seconds the updates took (and those at
/// the end of warmup, where a time budget's decay starts), and a validated run's best evaluation so far.
/// </summary>
public sealed record TrainerCheckpoint(int Step, int Epoch, int OptimizerSteps, string DataState, ulong[] DropoutRngState,
    TrainingOptions Options, double TrainingSeconds = 0, double DecayStartSeconds = 0, BestSoFar? Best = null)
{
    /// <summary>The key of the checkpoint's JSON in trainer-state.safetensors's metadata.</summary>
    internal const string MetadataKey = "trainer";

    /// <summary>The most ranks whose dropout generators a checkpoint may hold.</summary>
    internal const int MaxRanks = 4096;

    /// <summary>
    /// The checkpoint of the run in <paramref name="directory"/>, read from trainer-state.safetensors's
    /// header (its tensors are not read), or null when the directory holds no checkpoint.
    /// </summary>
    /// <exception cref="InvalidFileException">The checkpoint file exists but is damaged.</exception>
    public static TrainerCheckpoint? TryRead(string directory)
    {
        string path = Path.Combine(directory, Trainer.StateFile);
        if (!File.Exists(path) && !Directory.Exists(path)) return null;
        using var reader = SafeTensorsReader.Open(path);
        return FromMetadata(reader);
    }

    /// <summary>The checkpoint held in an open trainer-state file's metadata.</summary>
    internal static TrainerCheckpoint FromMetadata(SafeTensorsReader reader)
    {
        if (!reader.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidFileException(reader.Source, "the checkpoint has no trainer metadata");
        return Parse(System.Text.Encoding.UTF8.GetBytes(json), reader.Source);
    }

    /// <summary>Parses and validates the checkpoint's JSON; <paramref name="path"/> names the file it came from.</summary>
    internal static TrainerCheckpoint Parse(ReadOnlyMemory<byte> utf8, string path)
    {
        using var document = JsonFields.Parse(utf8, path);
        var json = new JsonFields(document.RootElement, path, "trainer.");
        var checkpoint = new TrainerCheckpoint(
            json.Int("step"), json.Int("epoch"), json.Int("optimizer_steps"), json.String("data_state"),
            json.ULongs("dropout_rng_state", 4 * MaxRanks), TrainingOptionsJson(json.Object("options")),
            json.Double("training_seconds", 0), json.Double("decay_start_seconds", 0), BestJson(json));   // absent before issue 19
        json.RejectOthers();
        if (checkpoint.TrainingSeconds < 0 || checkpoint.DecayStartSeconds < 0 || checkpoint.DecayStartSeconds > checkpoint.TrainingSeconds)
            throw json.Error("the checkpoint's training_seconds or decay_start_seconds is out of range");
        if (checkpoint.Best is { } best && (best.Step < 1 || best.Step > checkpoint.Step || best.EvaluationsSince < 0
                                            || (best.Metric == BestMetric.Bleu && best.Scores.Bleu is null)))
            throw json.Error($"the checkpoint's best step ({best.Step}), evaluations since ({best.EvaluationsSince}) " +
                             "or scores are out of range");
        if (checkpoint.Step < 1 || checkpoint.Epoch < 0 || checkpoint.OptimizerSteps < 0)
            throw json.Error($"the checkpoint's step ({checkpoint.Step}), epoch ({checkpoint.Epoch}) " +
                $"or optimizer step count ({checkpoint.OptimizerSteps}) is out of range");
        if (checkpoint.DropoutRngState.Length is 0 || checkpoint.DropoutRngState.Length % 4 != 0
            || checkpoint.DropoutRngState.Chunk(4).Any(state => state.All(word => word == 0)))
            throw json.Error("the checkpoint's dropout_rng_state is not four words per rank, none all zero");
        try
        {
            checkpoint.Options.Validate();
        }
        catch (ArgumentException e)
        {
            throw json.Error(e.Message);
        }
        return checkpoint;
    }

    private static BestSoFar? BestJson(JsonFields json)
    {
        if (json.IsNull("best")) return null;
        var best = json.Object("best");
        var scores = best.Object("scores");
        var record = new BestSoFar(best.Int("step"), best.Enum<BestMetric>("metric"),
            new ValidationScores(scores.Float("loss"), scores.Float("accuracy"), scores.IsNull("bleu") ? null : scores.Double("bleu"),
                scores.IsNull("chrf") ? null : scores.Double("chrf")),
            best.Int("evaluations_since"));
        scores.RejectOthers();
        best.RejectOthers();
        return record;
    }

    private static TrainingOptions TrainingOptionsJson(JsonFields json)
    {
        var options = new TrainingOptions
        {
            Steps = json.Int("steps"),
            Lr = json.Float("lr"),
            Warmup = json.Int("warmup"),
            Schedule = json.Enum<ScheduleKind>("schedule"),
            Beta2 = json.Float("beta2"),
            WeightDecay = json.Float("weight_decay"),
            LabelSmoothing = json.Float("label_smoothing"),
            ClipNorm = json.Float("clip_norm"),
            LoraPlusRatio = json.Float("lora_plus_ratio", 1f),   // checkpoints before LoRA+ were plain LoRA
            Precision = json.Enum<Precision>("precision", Precision.Float32),   // checkpoints before bf16 were float32
            Accumulation = json.Int("accumulation"),
            EvalEvery = json.Int("eval_every"),
            SaveEvery = json.Int("save_every"),
            LogEvery = json.Int("log_every"),
            Seed = json.ULong("seed"),
            // Checkpoints before issue 19 had none of these.
            MaxMinutes = json.Double("max_minutes", 0),
            EvalBleu = json.Bool("eval_bleu", false),
            EvalBeam = json.Int("eval_beam", 1),
            KeepBest = json.Bool("keep_best", false),
            BestBy = json.Enum<BestMetric>("best_by", BestMetric.Loss),
            Patience = json.Int("patience", 0),
            AverageLast = json.Int("average_last", 0),
            Ema = json.Float("ema", 0),
        };
        json.RejectOthers();
        return options;
    }
}
