using System.Diagnostics;
using System.Globalization;
using Sharpformer.Data;
using Sharpformer.Distributed;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>
/// The training loop: teacher-forced cross-entropy, gradient accumulation, clipping, Adam(W) with a
/// learning-rate schedule, periodic evaluation, metrics.jsonl, and checkpoints that resume exactly
/// (same losses as an uninterrupted run with the same seed and thread count).
/// </summary>
public sealed class Trainer
{
    /// <summary>The resume file: parameters, optimizer moments, and the <see cref="TrainerCheckpoint"/> as metadata.</summary>
    public const string StateFile = "trainer-state.safetensors";

    /// <summary>A readable copy of the checkpoint's metadata.</summary>
    public const string StateJsonFile = "trainer.json";

    private readonly SequenceModel _model;
    private readonly Rng _modelRng;
    private readonly IBatchSource _train;
    private readonly IReadOnlyList<Batch> _valid;
    private readonly TrainingOptions _options;
    private readonly string _directory;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly MetricsLog _metrics;
    private readonly DataParallel? _parallel;
    private string? _resumedCheckpointJson;   // the record Resume read, which trainer.json copies until the next checkpoint

    /// <summary>
    /// A trainer for <paramref name="model"/>, whose dropout draws from <paramref name="modelRng"/> (its
    /// state is checkpointed), writing into <paramref name="directory"/>. With <paramref name="parallel"/>, this process is
    /// one rank of a data-parallel job: every rank starts from rank 0's weights, computes its share of each batch and
    /// takes the same step; rank 0 alone evaluates and writes metrics and checkpoints (each rank's dropout generator
    /// goes into them).
    /// </summary>
    public Trainer(SequenceModel model, Rng modelRng, IBatchSource train, IReadOnlyList<Batch> valid, TrainingOptions options,
        string directory, DataParallel? parallel = null)
    {
        options.Validate();
        if (model.IsQuantized)
            throw new ArgumentException("Trainer: the model's weights are int8 (a quantized model, for inference only); " +
                                        "train the float32 model and quantize it afterwards");
        (_model, _modelRng, _train, _valid, _options, _directory) = (model, modelRng, train, valid, options, directory);
        _parallel = parallel;
        // Ranks draw different dropout masks: rank r > 0 leaves the shared stream for one of its own.
        if (parallel is { World.Rank: > 0 and var rank })
            modelRng.State = new Rng(options.Seed ^ (0x9E3779B97F4A7C15UL * (ulong)rank)).State;
        _optimizer = Adam.AdamW(ParameterGroups(model, options.WeightDecay, options.LoraPlusRatio), options.Lr, beta2: options.Beta2,
            eps: 1e-9f, weightDecay: options.WeightDecay);
        _schedule = options.Schedule switch
        {
            ScheduleKind.Cosine => LearningRateSchedule.WarmupCosine(options.Lr, options.Warmup, options.Steps),
            ScheduleKind.Linear => LearningRateSchedule.WarmupLinear(options.Lr, options.Warmup, options.Steps),
            ScheduleKind.InverseSqrt => LearningRateSchedule.Noam(model.Config.DModel, options.Warmup,
                options.Lr * MathF.Sqrt(model.Config.DModel) * MathF.Sqrt(Math.Max(options.Warmup, 1))),
            _ => LearningRateSchedule.Constant(options.Lr),
        };
        Directory.CreateDirectory(directory);
        _metrics = new MetricsLog(Path.Combine(directory, MetricsLog.FileName));
    }

    /// <summary>Updates completed so far.</summary>
    public int Step { get; private set; }

    /// <summary>Called after every update (for a progress display).</summary>
    public Action<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Restores the checkpoint in the directory (trainer-state.safetensors alone: the commit point of
    /// every checkpoint). The file's names and shapes are checked before its data is read, each parameter
    /// is read straight into the model, and nothing on disk changes; a missing, damaged or mismatched
    /// checkpoint is an <see cref="InvalidFileException"/> naming the file.
    /// </summary>
    public void Resume()
    {
        using var reader = SafeTensorsReader.Open(Path.Combine(_directory, StateFile));
        var checkpoint = TrainerCheckpoint.FromMetadata(reader);
        ModelDirectory.CheckHeader(reader, ModelDirectory.SlotsOf(_model, trainableOnly: _model.HasLora), "this model", "model.");
        CheckOptimizerEntries(reader);
        ModelDirectory.ReadWeights(reader, _model, "model.");
        var moments = reader.Entries.Where(e => e.Name.StartsWith("optim.", StringComparison.Ordinal))
            .ToDictionary(e => e.Name["optim.".Length..], e =>
            {
                var values = new float[e.Count];
                reader.ReadInto(e, values);
                return values;
            }, StringComparer.Ordinal);
        try
        {
            _optimizer.LoadState(moments, checkpoint.OptimizerSteps);
            _train.LoadState(checkpoint.DataState);
            _modelRng.State = OwnDropoutState(checkpoint.DropoutRngState, reader.Source);
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException or InvalidDataException)
        {
            throw new InvalidFileException(reader.Source, $"the checkpoint does not fit this model and data: {e.Message}", e);
        }
        Step = checkpoint.Step;
        _resumedCheckpointJson = reader.Metadata[TrainerCheckpoint.MetadataKey];
    }

    // A checkpoint holds one dropout generator state (four words) per rank that wrote it.
    private ulong[] OwnDropoutState(ulong[] states, string source)
    {
        int ranks = states.Length / 4, size = _parallel?.World.Size ?? 1;
        if (ranks != size)
            throw new InvalidFileException(source, ranks == 1
                ? $"the checkpoint was written by one process; resume it without mpirun, not by {size} ranks"
                : $"the checkpoint was written by {ranks} ranks; resume it with mpirun -np {ranks}");
        return states[(4 * (_parallel?.World.Rank ?? 0))..][..4];
    }

    // Before reading: only model.* and optim.* tensors, no optimizer buffer larger than a parameter, and
    // at most a step count and two moments per parameter — what the file may make this process allocate.
    private void CheckOptimizerEntries(SafeTensorsReader reader)
    {
        var trained = _model.Parameters().Where(p => p.RequiresGrad).ToList();
        int parameters = trained.Count, largest = trained.Max(p => p.Length), optimizer = 0;
        foreach (var entry in reader.Entries.Where(e => !e.Name.StartsWith("model.", StringComparison.Ordinal)))
        {
            if (!entry.Name.StartsWith("optim.", StringComparison.Ordinal))
                throw new InvalidFileException(reader.Source,
                    $"it holds tensor {InvalidFileException.Quote(entry.Name, 80)}, which is neither a parameter nor optimizer state");
            if (entry.Count > largest || ++optimizer > 3 * parameters)
                throw new InvalidFileException(reader.Source, "its optimizer state is larger than this model's parameters allow");
        }
    }

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> updates are done, then writes the final checkpoint
    /// and model files.
    /// </summary>
    public void Run(CancellationToken cancel = default)
    {
        _parallel?.BroadcastFromLeader(_model.Parameters().Where(p => p.RequiresGrad));   // every rank starts from rank 0's weights
        if (IsLeader) PrepareDirectory();
        var clock = Stopwatch.StartNew();
        int firstStep = Step;
        long tokensSinceLog = 0;
        var logClock = Stopwatch.StartNew();
        _model.Train();
        while (Step < _options.Steps && !cancel.IsCancellationRequested)
        {
            float lr = _schedule.At(Step);
            var (loss, tokens) = AccumulateGradients();
            if (_parallel is not null)
            {
                loss = _parallel.Sum(loss)[0];   // every rank sees the global loss, so every rank stops on divergence
                _parallel.AllReduceGradients(_model.Parameters().Where(p => p.RequiresGrad));
            }
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException($"training diverged: the loss is {loss.ToString(CultureInfo.InvariantCulture)} " +
                    $"at step {Step + 1}; the last checkpoint in {_directory} is kept");
            float norm = _options.ClipNorm > 0
                ? GradientClipping.ClipByGlobalNorm(_model.Parameters().Where(p => p.RequiresGrad), _options.ClipNorm)
                : GradientClipping.GlobalNorm(_model.Parameters().Select(p => p.Grad).OfType<Tensor>());
            _optimizer.Lr = lr;
            _optimizer.Step();
            _optimizer.ZeroGrad();
            Step++;
            tokensSinceLog += tokens;

            bool last = Step == _options.Steps;
            float? validLoss = null, validAccuracy = null;
            if (IsLeader && _valid.Count > 0 && ((_options.EvalEvery > 0 && Step % _options.EvalEvery == 0) || last))
                (validLoss, validAccuracy) = TeacherForcedEvaluation.Run(_model, _valid);
            double tokensPerSecond = tokensSinceLog / Math.Max(logClock.Elapsed.TotalSeconds, 1e-9);
            if (IsLeader && (Step % _options.LogEvery == 0 || validLoss is not null || last))
            {
                _metrics.Append(Step, _train.Epoch, loss, lr, norm, tokensPerSecond, validLoss, validAccuracy);
                tokensSinceLog = 0;
                logClock.Restart();
            }
            if ((_options.SaveEvery > 0 && Step % _options.SaveEvery == 0) || last) SaveCheckpoint();
            var elapsed = clock.Elapsed;
            if (IsLeader)
                Progress?.Invoke(new TrainingProgress(Step, _options.Steps, _train.Epoch, loss, lr, norm, tokensPerSecond, elapsed,
                    elapsed / (Step - firstStep) * (_options.Steps - Step), validLoss, validAccuracy));
        }
    }

    /// <summary>
    /// Writes a checkpoint. Its one commit point is the atomic replacement of trainer-state.safetensors,
    /// which holds everything a resume reads (parameters, optimizer moments, and the
    /// <see cref="TrainerCheckpoint"/> as metadata); model.safetensors, config.json and trainer.json are
    /// copies written after it, which a resume writes again. A model with LoRA adapters checkpoints only the
    /// adapters (its base is read again from the base directory) and writes adapter.safetensors instead of a model.
    /// </summary>
    public void SaveCheckpoint()
    {
        string json = CheckpointJson();   // a collective call in a data-parallel job: every rank gives its generator state
        if (!IsLeader) return;
        bool adaptersOnly = _model.HasLora;
        var tensors = _model.NamedParameters().Where(p => !adaptersOnly || p.Value.RequiresGrad)
            .Select(p => new KeyValuePair<string, Tensor>("model." + p.Name, p.Value))
            .Concat(_optimizer.SaveState().Select(s => new KeyValuePair<string, Tensor>("optim." + s.Key, Tensor.FromArray(s.Value))));
        SafeTensors.Write(Path.Combine(_directory, StateFile), tensors,
            new Dictionary<string, string> { [TrainerCheckpoint.MetadataKey] = json });
        WriteCopies(json);
    }

    // The files a checkpoint's state implies: the model directory and the readable trainer.json.
    private void WriteCopies(string checkpointJson)
    {
        if (_model.HasLora) LoraDirectory.SaveAdapters(_model, _directory);
        else ModelDirectory.Save(_model, _directory);
        AtomicFile.WriteAllText(Path.Combine(_directory, StateJsonFile), checkpointJson + "\n");
    }

    // Before the first step: temporary files of killed writes go; a new run starts its log and config
    // afresh; a resumed run drops the log lines after its checkpoint and brings the copies up to date.
    private void PrepareDirectory()
    {
        AtomicFile.RemoveLeftovers(_directory);
        if (Step == 0)
        {
            _metrics.Clear();
            if (!_model.HasLora) TransformerConfigFile.Write(Path.Combine(_directory, ModelDirectory.ConfigFile), _model.Config);
            return;
        }
        _metrics.TruncateAfter(Step);
        WriteCopies(_resumedCheckpointJson ?? CheckpointJson());
        _resumedCheckpointJson = null;
    }

    private string CheckpointJson() => System.Text.Json.JsonSerializer.Serialize(
        new TrainerCheckpoint(Step, _train.Epoch, _optimizer.StepCount, _train.SaveState(), DropoutStates(), _options),
        TrainingJson.Default.TrainerCheckpoint);

    /// <summary>The data-parallel job this trainer is one rank of, or null for a single process.</summary>
    public DataParallel? Parallel => _parallel;

    /// <summary>Whether this process writes the run's files: a single process, or rank 0 of a data-parallel job.</summary>
    public bool IsLeader => _parallel?.IsLeader ?? true;

    // Every rank's dropout generator state, rank by rank (each rank broadcasts its own).
    private ulong[] DropoutStates()
    {
        if (_parallel is null) return _modelRng.State;
        var states = new ulong[4 * _parallel.World.Size];
        for (int rank = 0; rank < _parallel.World.Size; rank++)
        {
            var own = states.AsSpan(4 * rank, 4);
            if (rank == _parallel.World.Rank) _modelRng.State.CopyTo(own);
            _parallel.World.Broadcast(own, rank);
        }
        return states;
    }

    private readonly TensorArena _arena = new();

    // One update's worth of micro-batches: gradients of the mean loss accumulate in the parameters.
    private (float Loss, long TargetTokens) AccumulateGradients()
    {
        double lossSum = 0;
        long tokens = 0;
        for (int micro = 0; micro < _options.Accumulation; micro++)
        {
            var batch = _train.Next();
            tokens += batch.TargetTokens;
            // A rank's share of the batch weighs its mean loss by its share of the batch's tokens: the ranks' gradients
            // then sum to the gradient of the batch's mean loss.
            var (from, to) = _parallel?.Share(batch.Size) ?? (0, batch.Size);
            if (from == to) continue;
            var share = to - from == batch.Size ? batch : batch.Rows(from, to);
            float weight = share == batch ? 1f : (float)share.TargetTokens / batch.TargetTokens;
            using var memory = _arena.Activate(_options.Precision);   // this micro-batch's tensors are reused by the next
            var loss = TensorArena.PackSince(0,   // bf16: what the backward pass reads waits packed
                _model.TeacherForcedLoss(share.Source, share.TargetInput, share.TargetOutput, _options.LabelSmoothing));
            (loss * (weight / _options.Accumulation)).Backward();
            lossSum += loss.Item() * weight;
        }
        return ((float)(lossSum / _options.Accumulation), tokens);
    }

    // Weight decay only on matrices that are not embeddings: biases, norms and embedding tables keep theirs. Frozen
    // parameters (the weights beside LoRA adapters) get no optimizer state at all. With LoRA+ the adapters' B matrices
    // (decayed like any matrix) form a third group with the larger learning rate.
    internal static IEnumerable<ParameterGroup> ParameterGroups(SequenceModel model, float weightDecay, float loraPlusRatio = 1f)
    {
        var embeddings = new HashSet<Tensor>(model.EmbeddingWeights, ReferenceEqualityComparer.Instance);
        var all = model.Parameters().Where(p => p.RequiresGrad).ToList();
        var decayed = all.Where(p => p.Rank > 1 && !embeddings.Contains(p)).ToList();
        var rest = all.Where(p => !decayed.Contains(p)).ToList();
        var adapterB = model.NamedModules().Select(m => m.Module).OfType<LoraAdapter>().Select(a => a.B.Weight)
            .Distinct<Tensor>(ReferenceEqualityComparer.Instance).ToList();
        if (loraPlusRatio == 1f || adapterB.Count == 0)
            return [new ParameterGroup(decayed, weightDecay), new ParameterGroup(rest, 0f)];
        return
        [
            new ParameterGroup(decayed.Except<Tensor>(adapterB, ReferenceEqualityComparer.Instance), weightDecay),
            new ParameterGroup(rest, 0f),
            new ParameterGroup(adapterB, weightDecay, loraPlusRatio),
        ];
    }
}
