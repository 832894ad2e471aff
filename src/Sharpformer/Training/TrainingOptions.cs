using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>The shape of the learning-rate curve.</summary>
public enum ScheduleKind
{
    /// <summary>Linear warmup, then cosine decay to zero at the last step.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("cosine")]
    Cosine,

    /// <summary>Linear warmup, then linear decay to zero.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("linear")]
    Linear,

    /// <summary>The paper's warmup then inverse square root, peaking at the given learning rate.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("inverse_sqrt")]
    InverseSqrt,

    /// <summary>The same rate throughout.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("constant")]
    Constant,
}

/// <summary>How to train: steps, optimizer and schedule settings, logging, evaluation and checkpoints.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer updates to make.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Peak learning rate.</summary>
    public float Lr { get; init; } = 1e-3f;

    /// <summary>Warmup updates.</summary>
    public int Warmup { get; init; } = 100;

    /// <summary>Learning-rate curve.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Adam's β₂ (the paper uses 0.98).</summary>
    public float Beta2 { get; init; } = 0.98f;

    /// <summary>Decoupled weight decay (AdamW); 0 for plain Adam. Never applied to biases, norms and embeddings.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Label smoothing ε of the loss (the paper uses 0.1).</summary>
    public float LabelSmoothing { get; init; } = 0.1f;

    /// <summary>Global gradient-norm limit (0: no clipping).</summary>
    public float ClipNorm { get; init; } = 1f;

    /// <summary>
    /// LoRA+ (Hayou et al., 2024): the B matrix of every low-rank adapter learns with this many times the learning rate
    /// of everything else that trains (the A matrices, and biases when they train); 1 is plain LoRA. No effect on a model
    /// without adapters.
    /// </summary>
    public float LoraPlusRatio { get; init; } = 1f;

    /// <summary>
    /// float32, or bf16 mixed precision: float32 master weights, optimizer state and accumulation, with bfloat16
    /// working copies of the weight matrices and bfloat16 storage for the activations the backward pass reads.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Micro-batches whose gradients add up to one update.</summary>
    public int Accumulation { get; init; } = 1;

    /// <summary>Evaluate on the validation set every this many updates (0: only at the end).</summary>
    public int EvalEvery { get; init; } = 200;

    /// <summary>Write a checkpoint every this many updates (0: only at the end).</summary>
    public int SaveEvery { get; init; } = 500;

    /// <summary>Append a metrics line every this many updates.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Seed of the model initialization, dropout and data order.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// A time budget in minutes of training (the updates' own time: evaluations and checkpoints are not counted); 0 for
    /// none. The run ends at <see cref="Steps"/> or at the budget, whichever comes first, and a cosine or linear schedule
    /// decays over whichever of the two is further along, so the learning rate reaches its floor when the time is up.
    /// The steps taken and the rate at each then depend on the clock: a resumed run continues the same budget, but is not
    /// bit-identical to one that never stopped.
    /// </summary>
    public double MaxMinutes { get; init; }

    /// <summary>
    /// At each evaluation also translate the validation pairs (greedy, or a beam of <see cref="EvalBeam"/>) and log
    /// corpus BLEU and chrF (translation tasks only).
    /// </summary>
    public bool EvalBleu { get; init; }

    /// <summary>The beam of <see cref="EvalBleu"/>'s translations (1: greedy).</summary>
    public int EvalBeam { get; init; } = 1;

    /// <summary>
    /// Keep the model with the best validation score (<see cref="BestBy"/>) in best/ beside the latest (in a LoRA run,
    /// an adapter directory: the best adapters).
    /// </summary>
    public bool KeepBest { get; init; }

    /// <summary>What makes a validated model the best so far (<see cref="KeepBest"/>, <see cref="Patience"/>).</summary>
    public BestMetric BestBy { get; init; } = BestMetric.Loss;

    /// <summary>Stop after this many evaluations in a row without a better score (0: never).</summary>
    public int Patience { get; init; }

    /// <summary>
    /// Keep the weights of the last this many checkpoints in checkpoints/ (0: none), for
    /// <see cref="CheckpointAverage"/>: the paper averaged its last checkpoints. Not for LoRA runs.
    /// </summary>
    public int AverageLast { get; init; }

    /// <summary>
    /// Decay of an exponential moving average of the weights, updated after every step and written to ema/ with each
    /// checkpoint (0: none; 0.999 is usual). A LoRA run averages its adapters, and ema/ is an adapter directory.
    /// </summary>
    public float Ema { get; init; }

    /// <summary>Throws a clear error for values that cannot work.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException("training options: " + message);
        }
        Require(Steps > 0, $"steps must be positive, got {Steps}");
        Require(Lr > 0 && float.IsFinite(Lr), $"learning rate must be positive, got {Lr}");
        Require(Warmup >= 0, $"warmup must not be negative, got {Warmup}");
        Require(Beta2 is > 0f and < 1f, $"beta2 must be in (0, 1), got {Beta2}");
        Require(WeightDecay >= 0, $"weight decay must not be negative, got {WeightDecay}");
        Require(LabelSmoothing is >= 0f and < 1f, $"label smoothing must be in [0, 1), got {LabelSmoothing}");
        Require(ClipNorm >= 0, $"clip norm must not be negative, got {ClipNorm}");
        Require(LoraPlusRatio > 0 && float.IsFinite(LoraPlusRatio), $"the LoRA+ ratio must be positive, got {LoraPlusRatio}");
        Require(Accumulation is >= 1 and <= 65536, $"accumulation must be in [1, 65536], got {Accumulation}");
        Require(EvalEvery >= 0 && SaveEvery >= 0 && LogEvery >= 1,
            "eval-every and save-every must not be negative, log-every must be positive");
        Require(MaxMinutes >= 0 && double.IsFinite(MaxMinutes), $"max-minutes must not be negative, got {MaxMinutes}");
        Require(EvalBeam is >= 1 and <= 64, $"the evaluation beam must be in [1, 64], got {EvalBeam}");
        Require(BestBy != BestMetric.Bleu || EvalBleu, "choosing the best model by BLEU needs eval-bleu");
        Require(Patience >= 0, $"patience must not be negative, got {Patience}");
        Require(Patience == 0 || EvalEvery > 0, "patience counts evaluations: it needs eval-every (with 0 the run evaluates once)");
        Require(AverageLast is >= 0 and <= 1000, $"average-last must be in [0, 1000], got {AverageLast}");
        Require(AverageLast <= 1 || SaveEvery > 0, "average-last keeps checkpoints: it needs save-every (with 0 there is one)");
        Require(Ema == 0 || Ema is > 0f and < 1f, $"the EMA decay must be in (0, 1), or 0 for none, got {Ema}");
    }
}
