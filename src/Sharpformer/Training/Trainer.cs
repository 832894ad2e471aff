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
/// (same losses as an uninterrupted run with the same seed and thread count; under a time budget the steps and rates
/// depend on the clock).
/// </summary>
public sealed partial class Trainer
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
    private readonly TensorParallel? _split;   // the model's, when it is split over ranks
    private readonly TranslationValidation? _translations;
    private readonly ExponentialMovingAverage? _ema;   // the leader's
    private double _trainingSeconds, _decayStartSeconds;   // the updates' own time, and that at the end of warmup
    private BestSoFar? _best;
    private bool _patienceAgreed;   // rank 0 stopped the run for its patience
    private List<(string Name, Tensor Value)>? _bestWeights;   // the leader's copy of best/'s weights, checkpointed as best.*
    private string? _resumedCheckpointJson;   // the record Resume read, which trainer.json copies until the next checkpoint

    /// <summary>
    /// A trainer for <paramref name="model"/>, whose dropout draws from <paramref name="modelRng"/> (its
    /// state is checkpointed), writing into <paramref name="directory"/>. With <paramref name="parallel"/>, this process is
    /// one rank of a data-parallel job: every rank starts from rank 0's weights, computes its share of each batch and
    /// takes the same step; rank 0 alone evaluates and writes metrics and checkpoints (each rank's dropout generator
    /// goes into them). A model split over ranks (<see cref="SequenceModel.SplitAcross"/>) is trained by every rank of its
    /// group together: each rank updates its share, and rank 0 writes the whole model. <paramref name="translations"/> are
    /// the validation pairs as text, which <see cref="TrainingOptions.EvalBleu"/> translates.
    /// </summary>
    public Trainer(SequenceModel model, Rng modelRng, IBatchSource train, IReadOnlyList<Batch> valid, TrainingOptions options,
        string directory, DataParallel? parallel = null, TranslationValidation? translations = null)
    {
        options.Validate();
        if (model.IsQuantized)
            throw new ArgumentException("Trainer: the model's weights are int8 (a quantized model, for inference only); " +
                                        "train the float32 model and quantize it afterwards");
        (_model, _modelRng, _train, _valid, _options, _directory) = (model, modelRng, train, valid, options, directory);
        (_parallel, _split, _translations) = (parallel, model.TensorParallel, translations);
        CheckQualityOptions(model, options, valid, translations);
        if (options.Ema > 0 && IsLeader) _ema = new ExponentialMovingAverage(model, options.Ema);
        // Data-parallel ranks draw different dropout masks: rank r > 0 leaves the shared stream for one of its own (the ranks
        // that split one model share theirs).
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
        _ema?.Load(reader);
        // A record kept by another metric starts again (--best-by changed under --force), and best/ with it.
        var best = checkpoint.Best is { } record && record.Metric == _options.BestBy ? record : null;
        if (best is not null && _options.KeepBest && IsLeader) _bestWeights = ReadBestWeights(reader);
        var moments = reader.Entries.Where(e => e.Name.StartsWith("optim.", StringComparison.Ordinal))
            .ToDictionary(e => e.Name["optim.".Length..], e =>
            {
                var values = new float[e.Count];
                reader.ReadInto(e, values);
                return values;
            }, StringComparer.Ordinal);
        if (_split is not null) moments = OwnShares(moments);
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
        (_trainingSeconds, _decayStartSeconds, _best) = (checkpoint.TrainingSeconds, checkpoint.DecayStartSeconds, best);
        _resumedCheckpointJson = reader.Metadata[TrainerCheckpoint.MetadataKey];
    }

    // A checkpoint holds one dropout generator state (four words) per data-parallel rank that wrote it; the ranks that split
    // one model share one. So a tensor-parallel run resumes in one process too, and the other way round.
    private ulong[] OwnDropoutState(ulong[] states, string source)
    {
        int ranks = states.Length / 4, size = _parallel?.World.Size ?? 1;
        string split = _split is null ? "" : $", the model split over {_split.Size} of them as now";
        if (ranks != size)
            throw new InvalidFileException(source, ranks == 1
                ? $"the checkpoint was written by one process (or one split model); resume it without data parallelism, not by {size} ranks"
                : $"the checkpoint was written by {ranks} ranks; resume it on {ranks * (_split?.Size ?? 1)} ranks (mpirun -np " +
                  $"{ranks * (_split?.Size ?? 1)}){split}");
        return states[(4 * (_parallel?.World.Rank ?? 0))..][..4];
    }

    // The whole optimizer moments of a checkpoint cut to this rank's shares of the split parameters.
    private Dictionary<string, float[]> OwnShares(Dictionary<string, float[]> moments) => moments.ToDictionary(m => m.Key, m =>
    {
        if (MomentParameter(m.Key) is not { } p || !_split!.IsSplit(p)) return m.Value;
        if (m.Value.Length != Shapes.Count(_split.WholeShape(p)))
            throw new InvalidDataException(
                $"optimizer state {m.Key} holds {m.Value.Length} values, its parameter {p.Length * _split.Size}");
        var share = new float[p.Length];
        _split.Scatter(p, m.Value, share);
        return share;
    }, StringComparer.Ordinal);

    // The parameter whose moment buffer "group.index.buffer" is (null for a step count or a key that names none).
    private Tensor? MomentParameter(string key) =>
        key.Split('.') is [var g, var i, var b] && b != "step" && int.TryParse(g, out int group) && int.TryParse(i, out int index)
        && group < _optimizer.Groups.Count && index < _optimizer.Groups[group].Parameters.Count
            ? _optimizer.Groups[group].Parameters[index] : null;

    // Before reading: only model.*, optim.*, ema.* and best.* tensors, none larger than a parameter, at most a step count
    // and two moments per parameter, one average and one best weight — what the file may make this process allocate.
    // Moving averages and best weights are read only by a run that keeps them.
    private void CheckOptimizerEntries(SafeTensorsReader reader)
    {
        var trained = _model.Parameters().Where(p => p.RequiresGrad).ToList();
        int parameters = trained.Count, largest = trained.Max(p => _split is null ? p.Length : Shapes.Count(_split.WholeShape(p)));
        int optimizer = 0, averages = 0, best = 0;
        foreach (var entry in reader.Entries.Where(e => !e.Name.StartsWith("model.", StringComparison.Ordinal)))
        {
            bool average = entry.Name.StartsWith(ExponentialMovingAverage.Prefix, StringComparison.Ordinal);
            bool kept = entry.Name.StartsWith(BestPrefix, StringComparison.Ordinal);
            if (!average && !kept && !entry.Name.StartsWith("optim.", StringComparison.Ordinal))
                throw new InvalidFileException(reader.Source, $"it holds tensor {InvalidFileException.Quote(entry.Name, 80)
                    }, which is neither a parameter, nor optimizer state, nor a moving average, nor a best weight");
            if (entry.Count > largest || (average ? ++averages > parameters : kept ? ++best > parameters : ++optimizer > 3 * parameters))
                throw new InvalidFileException(reader.Source,
                    "its optimizer state, moving averages or best weights are larger than this model's parameters allow");
        }
    }

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> updates are done, the time budget
    /// (<see cref="TrainingOptions.MaxMinutes"/>) is spent or the patience runs out, then writes the final checkpoint and
    /// model files.
    /// </summary>
    /// <param name="cancel">
    /// Stops the run between two updates: the last update is checkpointed (a later <see cref="Resume"/> continues exactly),
    /// then <see cref="OperationCanceledException"/> is thrown. In a job of several ranks rank 0's token decides for all.
    /// </param>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> stopped the run; its checkpoint is written.</exception>
    public void Run(CancellationToken cancel = default)
    {
        CheckRanksAgree(_parallel?.World);
        CheckRanksAgree(_split?.Communicator);
        _parallel?.BroadcastFromLeader(_model.Parameters().Where(p => p.RequiresGrad));   // every rank starts from rank 0's weights
        var copies = Step > 0 ? WholeWeights() : [];   // what a resumed run writes again (a collective call for a split model)
        if (IsLeader) PrepareDirectory(copies);
        if (_split is not null)   // the replicated parameters too (the shares were cut from the same whole model on every rank)
            foreach (var p in _model.Parameters().Where(p => p.RequiresGrad && !_split.IsSplit(p)))
                _split.Communicator.Broadcast(p.AsSpan(), root: 0);
        var clock = Stopwatch.StartNew();
        int firstStep = Step;
        double firstSeconds = _trainingSeconds;
        long tokensSinceLog = 0;
        double secondsSinceLog = 0;   // of updates: evaluations and checkpoints are not in tokens/s
        bool patienceOut = Agree(PatienceOut ? 1 : 0) == 1;   // a resumed run that had stopped for it
        int saved = Step;   // the step of the checkpoint on disk (a fresh run's step 0 has none, and needs none)
        while (Step < _options.Steps && !TimeIsUp && !patienceOut)
        {
            if (Agree(cancel.IsCancellationRequested ? 1 : 0) == 1)   // rank 0's token stops every rank after the same update
            {
                if (Step > saved) SaveCheckpoint();
                throw new OperationCanceledException(Step == 0
                    ? $"training was cancelled before its first update; {_directory} holds no checkpoint"
                    : $"training was cancelled after step {Step}; the checkpoint in {_directory} holds step {Step}", cancel);
            }
            long started = Stopwatch.GetTimestamp();
            _model.Train();   // every update, in case a progress callback decoded with the model (which puts it in evaluation mode)
            float lr = LearningRate();
            var (loss, tokens) = AccumulateGradients();
            if (_parallel is not null)
            {
                loss = _parallel.Sum(loss)[0];   // every rank sees the global loss, so every rank stops on divergence
                _parallel.AllReduceGradients(_model.Parameters().Where(p => p.RequiresGrad));
            }
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException($"training diverged: the loss is {loss.ToString(CultureInfo.InvariantCulture)} " +
                    $"at step {Step + 1}; the last checkpoint in {_directory} is kept");
            var gradients = _model.Parameters().Where(p => p.RequiresGrad && p.Grad is not null).ToList();
            float norm = GradientNorm(gradients);
            if (_options.ClipNorm > 0) GradientClipping.ScaleToNorm(gradients.Select(p => p.Grad!), _options.ClipNorm, norm);
            _optimizer.Lr = lr;
            _optimizer.Step();
            _optimizer.ZeroGrad();
            Step++;
            _ema?.Update(Step);
            tokensSinceLog += tokens;
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            secondsSinceLog += seconds;
            _trainingSeconds += seconds;
            if (_options.MaxMinutes > 0) _trainingSeconds = Agree(_trainingSeconds);   // the leader's clock decides for every rank
            if (Step == _options.Warmup) _decayStartSeconds = _trainingSeconds;

            bool last = Step == _options.Steps || TimeIsUp;
            ValidationScores? valid = null;
            if (_valid.Count > 0 && ((_options.EvalEvery > 0 && Step % _options.EvalEvery == 0) || last))
            {
                var measured = ValidationLoss();   // every rank of a data-parallel job evaluates its share of the batches
                valid = EvaluatesValidation ? Validate(measured) : null;
                patienceOut = Agree(PatienceOut ? 1 : 0) == 1;
                last |= patienceOut;
            }
            double tokensPerSecond = tokensSinceLog / Math.Max(secondsSinceLog, 1e-9);
            if (IsLeader && (Step % _options.LogEvery == 0 || valid is not null || last))
            {
                _metrics.Append(Step, _train.Epoch, loss, lr, norm, tokensPerSecond, _trainingSeconds, valid);
                (tokensSinceLog, secondsSinceLog) = (0, 0);
            }
            if ((_options.SaveEvery > 0 && Step % _options.SaveEvery == 0) || last)
            {
                SaveCheckpoint();
                saved = Step;
            }
            if (IsLeader) Progress?.Invoke(Report(loss, lr, norm, tokensPerSecond, clock.Elapsed, Step - firstStep,
                _trainingSeconds - firstSeconds, valid, last));
        }
        _patienceAgreed = patienceOut;
    }

    // How far the run is, from its step count or its time budget, whichever ends it sooner: the fraction done, and the
    // steps that makes in all (estimated from the pace of this session's updates when the time ends it).
    private TrainingProgress Report(float loss, float lr, float norm, double tokensPerSecond, TimeSpan elapsed, int stepsTaken,
        double secondsTaken, ValidationScores? valid, bool last)
    {
        double byTime = _options.MaxMinutes > 0 ? _trainingSeconds / (60 * _options.MaxMinutes) : 0;
        double fraction = last ? 1 : Math.Min(1, Math.Max((double)Step / _options.Steps, byTime));
        int total = _options.Steps;
        bool estimate = byTime > (double)Step / _options.Steps && secondsTaken > 0;
        if (estimate)
        {
            double more = (60 * _options.MaxMinutes - _trainingSeconds) * stepsTaken / secondsTaken;
            total = last ? Step : (int)Math.Min(_options.Steps, Step + more);
        }
        var remaining = last ? TimeSpan.Zero : elapsed / stepsTaken * Math.Max(0, total - Step);
        return new TrainingProgress(Step, total, _train.Epoch, loss, lr, norm, tokensPerSecond, elapsed, remaining, valid, fraction, last,
            estimate && !last);
    }

    // The learning rate of the next update: by step, or with a time budget by whichever of the step count and the budget
    // is further along, so that the decay ends when the time does.
    private float LearningRate()
    {
        if (_options.MaxMinutes <= 0) return _schedule.At(Step);
        double bySteps = (double)(Step - _options.Warmup) / Math.Max(1, _options.Steps - _options.Warmup);
        double byTime = (_trainingSeconds - _decayStartSeconds) / Math.Max(60 * _options.MaxMinutes - _decayStartSeconds, 1e-9);
        return _schedule.AtProgress(Step, Math.Max(bySteps, byTime));
    }

    private bool TimeIsUp => _options.MaxMinutes > 0 && _trainingSeconds >= 60 * _options.MaxMinutes;

    /// <summary>Minutes of updates so far (the clock of <see cref="TrainingOptions.MaxMinutes"/>).</summary>
    public double TrainingMinutes => _trainingSeconds / 60;

    /// <summary>
    /// Why the run has nothing left to train — its steps made, its time budget spent or its patience run out — or null
    /// while it has. A resumed run that has ended trains no further: give it more steps or minutes to continue (more
    /// patience is a changed option, <see cref="TrainingRunOptions.ResumeOptions"/>).
    /// </summary>
    public TrainingEnd? EndReason => Step >= _options.Steps ? TrainingEnd.StepsDone
        : TimeIsUp ? TrainingEnd.TimeSpent
        : PatienceOut || _patienceAgreed ? TrainingEnd.PatienceRanOut
        : null;

    /// <summary><see cref="EndReason"/> in words, or null while the run has steps left.</summary>
    public string? Ended => EndReason switch
    {
        TrainingEnd.StepsDone => _options.Steps == 1 ? "its 1 step is done" : $"its {_options.Steps} steps are done",
        TrainingEnd.TimeSpent => _options.MaxMinutes == 1 ? "its 1 minute of training is spent"
            : string.Create(CultureInfo.InvariantCulture, $"its {_options.MaxMinutes:0.##} minutes of training are spent"),
        TrainingEnd.PatienceRanOut => $"its patience ran out ({_options.Patience} evaluation{(_options.Patience == 1 ? "" : "s")} " +
                                      "without a better score" +
                                      (EvaluatesValidation && _best is { } best ? $" than step {best.Step}'s)" : ")"),
        _ => null,
    };

    // Only the ranks that evaluate know the best score: the others learn that the patience ran out from rank 0.
    private bool PatienceOut => _options.Patience > 0 && _best is { } best && best.EvaluationsSince >= _options.Patience;

    // Every rank of a job must take the same steps: the same options, model, batches and position as rank 0, or their
    // weights would part silently (a collective call: one hash broadcast and compared).
    private void CheckRanksAgree(ICommunicator? ranks)
    {
        if (ranks is null) return;
        string setup = $"{_options}|{_model.Config}|{_train.SaveState()}|{Step}|{_model.Parameters().Count(p => p.RequiresGrad)}";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(setup));
        Span<long> own = [BitConverter.ToInt64(hash)], leader = [own[0]];
        ranks.Broadcast(leader, root: 0);
        if (leader[0] != own[0])
            throw new ArgumentException($"rank {ranks.Rank} was started with other settings or data than rank 0 (training " +
                                        "options, model, batches or checkpoint differ): every rank must run the same command on the " +
                                        "same data");
    }

    // Rank 0's value on every rank of a job (a collective call there): across the ranks that share the batch, then within
    // each group that splits the model, whose first rank has it by then.
    private double Agree(double value)
    {
        Span<double> shared = [value];
        _parallel?.World.Broadcast(shared, root: 0);
        _split?.Communicator.Broadcast(shared, root: 0);
        return shared[0];
    }

    /// <summary>
    /// Writes a checkpoint. Its one commit point is the atomic replacement of trainer-state.safetensors,
    /// which holds everything a resume reads (parameters, optimizer moments, and the
    /// <see cref="TrainerCheckpoint"/> as metadata); model.safetensors, config.json and trainer.json are
    /// copies written after it, which a resume writes again. A model with LoRA adapters checkpoints only the
    /// adapters (its base is read again from the base directory) and writes adapter.safetensors instead of a model.
    /// A run that averages keeps these weights in checkpoints/ too (written first: a resume writes them again; the oldest
    /// removed after the commit), one with a moving average writes it beside the moments and as the model directory ema/,
    /// and one that keeps its best model holds best/'s weights in the checkpoint too (best.*), so a resume restores best/.
    /// </summary>
    public void SaveCheckpoint()
    {
        // Collective calls in a job: every rank gives its generator state, and the ranks of a split model their shares.
        string json = CheckpointJson();
        var weights = WholeWeights();
        var moments = _optimizer.SaveState().Select(s => new KeyValuePair<string, Tensor>("optim." + s.Key,
            Tensor.FromArray(MomentParameter(s.Key) is { } p && _split is not null ? _split.Gather(p, s.Value) : s.Value)))
            .ToList();
        if (!IsLeader) return;
        if (_options.AverageLast > 0) CheckpointAverage.Keep(_directory, Step, weights);
        var tensors = weights.Select(p => new KeyValuePair<string, Tensor>("model." + p.Name, p.Value)).Concat(moments)
            .Concat(_ema?.State ?? [])
            .Concat(_bestWeights?.Select(p => new KeyValuePair<string, Tensor>(BestPrefix + p.Name, p.Value)) ?? []);
        SafeTensors.Write(Path.Combine(_directory, StateFile), tensors,
            new Dictionary<string, string> { [TrainerCheckpoint.MetadataKey] = json });
        if (_options.AverageLast > 0) CheckpointAverage.Prune(_directory, _options.AverageLast);   // after the commit: a kill keeps K
        WriteCopies(json, weights);
    }

    // What a checkpoint holds of the model, each tensor once: every parameter (a split model's gathered whole, a collective
    // call), or the adapters alone.
    private List<(string Name, Tensor Value)> WholeWeights() =>
    [
        .. _model.NamedParameters().Where(p => !_model.HasLora || p.Value.RequiresGrad).Select(p => _split is null ? p
            : (p.Name, Tensor.FromArray(_split.Gather(p.Value, p.Value.AsSpan()), _split.WholeShape(p.Value)))),
    ];

    // The files a checkpoint's state implies: the model directory and the readable trainer.json.
    private void WriteCopies(string checkpointJson, IEnumerable<(string Name, Tensor Value)> weights)
    {
        if (_model.HasLora)
        {
            TransformerConfigFile.Write(Path.Combine(_directory, ModelDirectory.ConfigFile), _model.Config);
            LoraDirectory.SaveAdapters(weights, _directory);
        }
        else ModelDirectory.Save(_model.Config, weights, _directory);
        if (_ema is not null) SaveModelDirectory(EmaFolder, _ema.Weights);
        AtomicFile.WriteAllText(Path.Combine(_directory, StateJsonFile), checkpointJson + "\n");
    }

    // Before the first step: temporary files of killed writes go; a new run starts its log and config
    // afresh (and drops weights a killed run kept for averaging); a resumed run drops the log lines and kept weights after
    // its checkpoint and brings the copies up to date.
    private void PrepareDirectory(List<(string Name, Tensor Value)> weights)
    {
        RemoveLeftovers();
        CheckpointAverage.RemoveAfter(_directory, Step);
        if (Step == 0)
        {
            _metrics.Clear();
            TransformerConfigFile.Write(Path.Combine(_directory, ModelDirectory.ConfigFile), _model.Config);   // a LoRA run's: its dropout
            return;
        }
        _metrics.TruncateAfter(Step);
        WriteCopies(_resumedCheckpointJson ?? CheckpointJson(), weights);
        if (_bestWeights is not null) SaveBest();   // best/ as of the checkpoint: a later best/ belonged to a run that is gone
        _resumedCheckpointJson = null;
    }

    private string CheckpointJson() => System.Text.Json.JsonSerializer.Serialize(
        new TrainerCheckpoint(Step, _train.Epoch, _optimizer.StepCount, _train.SaveState(), DropoutStates(), _options,
            _trainingSeconds, _decayStartSeconds, _best),
        TrainingJson.Default.TrainerCheckpoint);

    /// <summary>The data-parallel job this trainer is one rank of, or null for a single process.</summary>
    public DataParallel? Parallel => _parallel;

    /// <summary>Whether this process writes the run's files: a single process, or rank 0 of a job.</summary>
    public bool IsLeader => (_parallel?.World.Rank ?? 0) == 0 && (_split?.Rank ?? 0) == 0;

    /// <summary>Whether this process computes the validation loss: the leader, with every rank that splits its model.</summary>
    internal bool EvaluatesValidation => (_parallel?.World.Rank ?? 0) == 0;

    // ‖g‖ of the whole model: a split model's shares' squares summed over its ranks, the replicated parameters' counted once.
    private float GradientNorm(List<Tensor> parameters)
    {
        if (_split is null) return GradientClipping.GlobalNorm(parameters.Select(p => p.Grad!));
        float whole = GradientClipping.GlobalNorm(parameters.Where(p => !_split.IsSplit(p)).Select(p => p.Grad!));
        float shares = GradientClipping.GlobalNorm(parameters.Where(_split.IsSplit).Select(p => p.Grad!));
        return MathF.Sqrt(whole * whole + _split.Sum(shares * shares)[0]);
    }

    // Every data-parallel rank's dropout generator state, rank by rank (each rank broadcasts its own).
    private ulong[] DropoutStates()
    {
        if (_parallel?.World is not { } world) return _modelRng.State;
        var states = new ulong[4 * world.Size];
        for (int rank = 0; rank < world.Size; rank++)
        {
            var own = states.AsSpan(4 * rank, 4);
            if (rank == world.Rank) _modelRng.State.CopyTo(own);
            world.Broadcast(own, rank);
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
            batch.CheckFits(_model.Config);
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
