using Sharpformer.Models;

namespace Sharpformer.Training;

/// <summary>
/// Models made from a model directory in one call, each written to a directory of its own (checked by
/// <see cref="ModelCopyTarget"/>) as a plain model directory that every command and <see cref="ModelDirectory.Open"/> load:
/// <code>
/// ModelCopies.Quantize("runs/bible", "runs/bible-int8");
/// ModelCopies.MergeLora("runs/nt-lora", "runs/nt-merged");
/// </code>
/// </summary>
public static class ModelCopies
{
    /// <summary>
    /// Writes an int8 copy of the model in <paramref name="model"/> (a LoRA run's adapters merged into its base first) to
    /// <paramref name="output"/>: its Linear, attention and embedding matrices int8 with a float32 scale per output row.
    /// </summary>
    /// <returns>The int8 model and its tokenizer, as written.</returns>
    /// <exception cref="ArgumentException">The model is int8 already or holds a NaN or an infinity, or
    /// <paramref name="output"/> is no place for a copy.</exception>
    /// <exception cref="IO.InvalidFileException">A file of the model (or of a LoRA run's base) is missing or damaged, or the
    /// base changed since its adapters were trained.</exception>
    public static ModelFiles Quantize(string model, string output)
    {
        ModelCopyTarget.Check(model, output);
        var files = ModelDirectory.Open(model);
        if (files.Model.IsQuantized) throw new ArgumentException($"{model}: the model's weights are int8 already");
        files.Model.QuantizeWeights();
        ModelDirectory.Save(files.Model, files.Tokenizer, output);
        return files;
    }

    /// <summary>
    /// Writes the base model of the LoRA run in <paramref name="run"/> with the adapters' updates added into its weights to
    /// <paramref name="output"/>: a plain model directory, which no longer needs the base.
    /// </summary>
    /// <returns>The merged model and its tokenizer, as written.</returns>
    /// <exception cref="ArgumentException"><paramref name="run"/> is not a LoRA run, or <paramref name="output"/> is no place
    /// for a copy.</exception>
    /// <exception cref="IO.InvalidFileException">A file of the run or its base is missing or damaged, or the base changed.</exception>
    public static ModelFiles MergeLora(string run, string output)
    {
        if (!LoraDirectory.Holds(run))
            throw new ArgumentException($"{run} holds no {LoraDirectory.ConfigFile}: it is not a LoRA run");
        ModelCopyTarget.Check(run, output);
        var files = LoraDirectory.Open(run);
        ModelDirectory.Save(files.Model, files.Tokenizer, output);
        return files;
    }
}
