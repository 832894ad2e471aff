using System.Globalization;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>
/// Checkpoint averaging, as the paper did (its base models averaged their last five checkpoints, written ten minutes
/// apart): a run with <see cref="TrainingOptions.AverageLast"/> keeps the weights of its last checkpoints in
/// checkpoints/step-N.safetensors, and <see cref="Write"/> turns the mean of the last K into a model directory.
/// </summary>
public static class CheckpointAverage
{
    /// <summary>The folder of a run's kept weights.</summary>
    public const string Folder = "checkpoints";

    /// <summary>The kept weights of the run in <paramref name="runDirectory"/>, by step, oldest first.</summary>
    public static IReadOnlyList<(int Step, string Path)> List(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, Folder);
        if (!Directory.Exists(folder)) return [];
        return [.. Directory.EnumerateFiles(folder, "step-*.safetensors")
            .Select(path => (Step: StepOf(path), Path: path)).Where(s => s.Step > 0).OrderBy(s => s.Step)];
    }

    /// <summary>
    /// Writes the mean of the weights of the last <paramref name="last"/> kept checkpoints of the run in
    /// <paramref name="runDirectory"/> into <paramref name="output"/> as a model directory (config, weights, tokenizer),
    /// and returns the steps it averaged. Each file is checked against the run's config before it is read.
    /// </summary>
    /// <exception cref="ArgumentException">The run keeps fewer checkpoints, or <paramref name="output"/> is the run itself, another
    /// training run or an adapter directory.</exception>
    /// <exception cref="InvalidFileException">A kept checkpoint or a file of the run is missing or damaged.</exception>
    public static IReadOnlyList<int> Write(string runDirectory, int last, string output)
    {
        if (last < 1) throw new ArgumentException($"average at least one checkpoint, not {last}");
        string run = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory));
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(output));
        string[] own = [run, .. new[] { Trainer.BestFolder, Trainer.EmaFolder, Folder }.Select(folder => Path.Combine(run, folder))];
        if (own.Contains(target))
            throw new ArgumentException($"write the average to another directory than the run's own or its {Trainer.BestFolder}/, " +
                                        $"{Trainer.EmaFolder}/ and {Folder}/ ({output})");
        ModelCopyTarget.Check(runDirectory, output);
        if (!Directory.Exists(runDirectory)) throw new InvalidFileException(runDirectory, "no such run directory");
        var kept = List(runDirectory);
        if (kept.Count < last)
            throw new ArgumentException(kept.Count == 0
                ? $"{runDirectory} keeps no checkpoints to average: train it keeping the last K for averaging"
                : $"{runDirectory} keeps {kept.Count} checkpoints (steps {string.Join(", ", kept.Select(k => k.Step))}), not {last}");
        var config = ModelDirectory.ReadConfig(runDirectory);
        var tokenizer = Text.ITokenizer.Load(Path.Combine(runDirectory, ModelDirectory.TokenizerFile));
        var model = SequenceModel.Create(config, new Rng(0));
        var parameters = model.NamedParameters().ToList();
        var sums = parameters.Select(p => new double[p.Value.Length]).ToList();
        var chosen = kept.Skip(kept.Count - last).ToList();
        foreach (var (_, path) in chosen)
        {
            ModelDirectory.LoadWeights(model, path);
            for (int i = 0; i < parameters.Count; i++)
            {
                var values = parameters[i].Value.AsSpan();
                var sum = sums[i];
                for (int j = 0; j < sum.Length; j++) sum[j] += values[j];
            }
        }
        for (int i = 0; i < parameters.Count; i++)
        {
            var values = parameters[i].Value.AsSpan();
            var sum = sums[i];
            for (int j = 0; j < sum.Length; j++) values[j] = (float)(sum[j] / last);
        }
        ModelDirectory.Save(model, tokenizer, output);
        return [.. chosen.Select(c => c.Step)];
    }

    /// <summary>Writes one checkpoint's weights as checkpoints/step-N.safetensors.</summary>
    internal static void Keep(string runDirectory, int step, IEnumerable<(string Name, Tensor Value)> weights)
    {
        Directory.CreateDirectory(Path.Combine(runDirectory, Folder));
        SafeTensors.Write(PathOf(runDirectory, step), weights.Select(w => new KeyValuePair<string, Tensor>(w.Name, w.Value)),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Removes all kept weights but the last <paramref name="keep"/> (by step).</summary>
    internal static void Prune(string runDirectory, int keep)
    {
        var kept = List(runDirectory);
        foreach (var (_, path) in kept.Take(Math.Max(0, kept.Count - keep))) File.Delete(path);
    }

    /// <summary>Removes the kept weights of steps after <paramref name="step"/> (a resumed run writes them again).</summary>
    internal static void RemoveAfter(string runDirectory, int step)
    {
        foreach (var (_, path) in List(runDirectory).Where(k => k.Step > step)) File.Delete(path);
    }

    private static string PathOf(string runDirectory, int step) =>
        Path.Combine(runDirectory, Folder, string.Create(CultureInfo.InvariantCulture, $"step-{step:D6}.safetensors"));

    // The step in a name step-N.safetensors (0 for a name that is not one).
    private static int StepOf(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return int.TryParse(name.AsSpan("step-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int step) ? step : 0;
    }
}
