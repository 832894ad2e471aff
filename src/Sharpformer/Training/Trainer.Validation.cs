using System.Text.Json;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

// The evaluations of a run and what it keeps besides its latest model: the best one (best/), the moving average (ema/).
public sealed partial class Trainer
{
    /// <summary>The model directory of the best validated model (<see cref="TrainingOptions.KeepBest"/>).</summary>
    public const string BestFolder = "best";

    /// <summary>The model directory of the moving average of the weights (<see cref="TrainingOptions.Ema"/>).</summary>
    public const string EmaFolder = "ema";

    /// <summary>The record in best/ of the evaluation that put the model there.</summary>
    public const string BestRecordFile = "best.json";

    // The prefix of best/'s weights in a checkpoint.
    private const string BestPrefix = "best.";

    /// <summary>The best validation score so far and the evaluations since (null before the first evaluation).</summary>
    public BestSoFar? Best => _best;

    // Validation loss and accuracy. In a data-parallel job every rank evaluates every N-th batch, and each rank's sums
    // reach every rank (one small broadcast per rank, a collective call), added in rank order in double precision: the
    // same result on every rank, in 1/N of the time.
    private (float Loss, float Accuracy) ValidationLoss()
    {
        if (_parallel is null) return TeacherForcedEvaluation.Run(_model, _valid);
        var ranks = _parallel.World;
        var own = TeacherForcedEvaluation.Sums(_model, _valid.Where((_, i) => i % ranks.Size == ranks.Rank));
        var total = new EvaluationSums(0, 0, 0);
        Span<double> sums = stackalloc double[3];
        for (int rank = 0; rank < ranks.Size; rank++)
        {
            (sums[0], sums[1], sums[2]) = rank == ranks.Rank ? (own.Loss, own.Tokens, own.Correct) : (0, 0, 0);
            ranks.Broadcast(sums, root: rank);
            total = new(total.Loss + sums[0], total.Tokens + (long)sums[1], total.Correct + (long)sums[2]);
        }
        return TeacherForcedEvaluation.Scores(total);
    }

    // Loss and accuracy (measured by ValidationLoss), and with eval-bleu BLEU and chrF of the translations; a new best
    // goes to best/ when kept.
    private ValidationScores Validate((float Loss, float Accuracy) measured)
    {
        var scores = new ValidationScores(measured.Loss, measured.Accuracy);
        if (_options.EvalBleu)
        {
            var (bleu, chrf) = _translations!.Score((Transformer)_model, _options.EvalBeam);
            scores = scores with { Bleu = bleu, Chrf = chrf };
        }
        _best = BestSoFar.After(_best, Step, scores, _options.BestBy);
        if (_options.KeepBest && IsLeader && _best is { EvaluationsSince: 0 } best && best.Step == Step)
        {
            _bestWeights = [.. WholeWeights().Select(p => (p.Name, Tensor.FromArray(p.Value.ToArray(), p.Value.ShapeArray())))];
            SaveBest();
        }
        return scores;
    }

    // best/: the model directory of the best weights, then best.json saying which evaluation they won (written after them).
    private void SaveBest()
    {
        var (weights, scores) = (_bestWeights!, _best!.Scores);
        SaveModelDirectory(BestFolder, weights);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("step", _best.Step);
            json.WriteString("best_by", _options.BestBy == BestMetric.Bleu ? "bleu" : "loss");
            json.WriteNumber("val_loss", scores.Loss);
            json.WriteNumber("val_accuracy", scores.Accuracy);
            if (scores.Bleu is double bleu) json.WriteNumber("val_bleu", Math.Round(bleu, 4));
            if (scores.Chrf is double chrf) json.WriteNumber("val_chrf", Math.Round(chrf, 4));
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        AtomicFile.Write(Path.Combine(_directory, BestFolder, BestRecordFile), stream => stream.Write(buffer.ToArray()));
    }

    // A model directory inside the run's: config and the given weights — or, in a LoRA run, the run's adapter config and
    // the given adapters — and the run's tokenizer when it has one.
    private void SaveModelDirectory(string folder, IEnumerable<(string Name, Tensor Value)> weights)
    {
        string directory = Path.Combine(_directory, folder);
        if (_model.HasLora)
        {
            Directory.CreateDirectory(directory);
            LoraDirectory.SaveAdapters(weights, directory);
            CopyFile(LoraDirectory.ConfigFile, directory);
        }
        else ModelDirectory.Save(_model.Config, weights, directory);
        CopyFile(ModelDirectory.TokenizerFile, directory);
    }

    // A file of the run's directory, when it has it, into a directory inside it.
    private void CopyFile(string name, string directory)
    {
        string file = Path.Combine(_directory, name);
        if (!File.Exists(file)) return;
        byte[] bytes = FileBytes.Read(file);
        AtomicFile.Write(Path.Combine(directory, name), stream => stream.Write(bytes));
    }

    // best/'s weights from a checkpoint that holds them (one written before --keep-best was given holds none).
    private List<(string Name, Tensor Value)>? ReadBestWeights(SafeTensorsReader reader)
    {
        var entries = reader.Entries.Where(e => e.Name.StartsWith(BestPrefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Name[BestPrefix.Length..], StringComparer.Ordinal);
        if (entries.Count == 0) return null;
        return [.. WholeWeights().Select(p =>
        {
            if (!entries.TryGetValue(p.Name, out var entry) || entry.Count != p.Value.Length)
                throw new InvalidFileException(reader.Source, $"its best weight {p.Name} is missing or not the parameter's size");
            var values = new float[entry.Count];
            reader.ReadInto(entry, values);
            return (p.Name, Tensor.FromArray(values, p.Value.ShapeArray()));
        })];
    }

    // What the quality options need: translations of a translation task's pairs for BLEU, whole models for what is kept
    // besides the latest, and (for now) one unsplit model.
    private static void CheckQualityOptions(SequenceModel model, TrainingOptions options, IReadOnlyList<Data.Batch> valid,
        TranslationValidation? translations)
    {
        if ((options.KeepBest || options.Patience > 0) && valid.Count == 0)
            throw new ArgumentException("keep-best and patience compare evaluations: they need validation data");
        if (options.EvalBleu && (model is not Transformer || translations is not { Pairs.Count: > 0 }))
            throw new ArgumentException("eval-bleu translates the validation pairs: it needs a translation task with validation pairs");
        bool any = options.EvalBleu || options.KeepBest || options.Patience > 0 || options.AverageLast > 0 || options.Ema > 0
                   || options.MaxMinutes > 0;
        if (any && model.TensorParallel is not null)
            throw new ArgumentException("eval-bleu, keep-best, patience, average-last, ema and max-minutes do not work with tensor " +
                                        "parallelism yet: train with data parallelism or in one process");
        if (model.HasLora && options.AverageLast > 0)
            throw new ArgumentException("average-last averages whole models, and a LoRA run keeps only its adapters: keep the best " +
                                        "adapters (keep-best) or their moving average (ema) instead");
    }

    // Temporary files of killed writes in the folders a run writes besides its own.
    private void RemoveLeftovers()
    {
        foreach (string folder in new[] { "", BestFolder, EmaFolder, CheckpointAverage.Folder })
            AtomicFile.RemoveLeftovers(Path.Combine(_directory, folder));
    }
}
