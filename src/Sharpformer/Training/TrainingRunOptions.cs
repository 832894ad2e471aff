using Sharpformer.NN;

namespace Sharpformer.Training;

/// <summary>
/// What a training run needs to start or resume: where it lives, what it learns from, the model and the
/// schedule. <c>sharpformer train</c> fills it from its options; a program can fill it directly.
/// </summary>
public sealed record TrainingRunOptions
{
    /// <summary>The run's model directory: config, weights, tokenizer, metrics and checkpoint (created if needed).</summary>
    public required string Directory { get; init; }

    /// <summary>A built-in task (<see cref="Data.DataSpec.TaskNames"/>); or give <see cref="TrainFile"/>.</summary>
    public string? Task { get; init; }

    /// <summary>Training data: a UTF-8 TSV file of source–target pairs, or plain text for a language model.</summary>
    public string? TrainFile { get; init; }

    /// <summary>Validation pairs (TSV) for a <see cref="TrainFile"/> of pairs.</summary>
    public string? ValidFile { get; init; }

    /// <summary>Skip and count malformed TSV lines instead of stopping at the first.</summary>
    public bool SkipBadLines { get; init; }

    /// <summary>
    /// The architecture; its vocabulary sizes, maximum length and padding id are set from the data. Null:
    /// the preset named by <see cref="Preset"/>.
    /// </summary>
    public TransformerConfig? Model { get; init; }

    /// <summary>
    /// Fine-tune this model directory instead of a new model: its architecture, weights and tokenizer are the start
    /// (<see cref="Model"/>, <see cref="Preset"/>, <see cref="VocabSize"/> and the positional settings are not used).
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// With <see cref="InitFrom"/>: train low-rank adapters beside the frozen base instead of every weight. The run's
    /// directory then holds the adapters and their config, not a model.
    /// </summary>
    public LoraOptions? Lora { get; init; }

    /// <summary>The model size when <see cref="Model"/> is null: one of <see cref="TrainingRun.Presets"/>.</summary>
    public string Preset { get; init; } = "tiny";

    /// <summary>Sinusoidal or rotary positions instead of the architecture's (null keeps it).</summary>
    public PositionalKind? Positional { get; init; }

    /// <summary>The base θ of rotary positions instead of the architecture's (null keeps it).</summary>
    public float? RopeBase { get; init; }

    /// <summary>Dropout probability instead of the architecture's (null keeps it).</summary>
    public float? Dropout { get; init; }

    /// <summary>
    /// Size of the BPE vocabulary trained on the data (not used by the character-level toy tasks); null takes
    /// <see cref="Model"/>'s target vocabulary when it is at least a byte-level BPE's 260 tokens, else
    /// <see cref="DefaultVocabSize"/>.
    /// </summary>
    public int? VocabSize { get; init; }

    /// <summary>The BPE vocabulary of a run whose options name none.</summary>
    public const int DefaultVocabSize = 8000;

    /// <summary>The size of the BPE vocabulary to train: <see cref="VocabSize"/> or its default.</summary>
    internal int BpeVocabSize => VocabSize ?? (Model is { TargetVocab: >= 260 and var size } ? size : DefaultVocabSize);

    /// <summary>
    /// Train with this tokenizer.json instead of training a BPE on the data (<see cref="VocabSize"/> is then not used):
    /// Sharpformer's own file of any type, or a byte-level BPE one in Hugging Face's schema such as GPT-2's. Its ids
    /// stay; a tokenizer without &lt;pad&gt;, or without a beginning and end of sequence (&lt;bos&gt;, &lt;eos&gt; or
    /// GPT-2's &lt;|endoftext|&gt;), gets them as new special tokens after its last id. Not for the generated toy tasks.
    /// </summary>
    public string? TokenizerFile { get; init; }

    /// <summary>Longest sequence in tokens; longer ones are cut (and counted).</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Padded tokens per batch (approximately).</summary>
    public int BatchTokens { get; init; } = 1024;

    /// <summary>
    /// Steps, learning rate, warmup, seed, label smoothing, evaluation, logging and checkpoints. Not read when a checkpoint
    /// is resumed: its own options continue (<see cref="ResumeSteps"/>, <see cref="ResumeMaxMinutes"/> and
    /// <see cref="ResumeOptions"/> change them).
    /// </summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Passes over the training data instead of <see cref="TrainingOptions.Steps"/> (fixed data sets only).</summary>
    public int? Epochs { get; init; }

    /// <summary>
    /// Continue the checkpoint in <see cref="Directory"/> with its own settings (a directory without one
    /// starts a new run). Without it, a directory that holds a checkpoint is refused.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>When resuming, a new total step count (null keeps the checkpoint's).</summary>
    public int? ResumeSteps { get; init; }

    /// <summary>When resuming, a new time budget in minutes (null keeps the checkpoint's).</summary>
    public double? ResumeMaxMinutes { get; init; }

    /// <summary>
    /// When resuming, options to continue with instead of the checkpoint's (null keeps them, which makes the resumed run
    /// the same as one that never stopped); <see cref="Dropout"/> then replaces the model's too. Start from the
    /// checkpoint's (<c>TrainerCheckpoint.TryRead(directory)!.Options with { Lr = … }</c>); the seed cannot change.
    /// </summary>
    public TrainingOptions? ResumeOptions { get; init; }
}
