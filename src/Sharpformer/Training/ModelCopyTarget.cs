using Sharpformer.Models;

namespace Sharpformer.Training;

/// <summary>
/// Where a model made from another (quantized, merged, averaged) may be written: a directory of its own. Not the model
/// it is made from (through a link too), nor the base of the adapters it is made from; not a training run's directory,
/// whose next checkpoint or resume would write the run's weights over the copy; not an adapter directory, whose
/// adapters would be opened instead of the copy.
/// </summary>
public static class ModelCopyTarget
{
    /// <summary>Throws if <paramref name="target"/> is no place for a copy of the model in <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">The target is the source or its adapters' base, a training run or one of its
    /// folders, or an adapter directory.</exception>
    public static void Check(string source, string target)
    {
        if (SameDirectory(source, target))
            throw new ArgumentException($"write to another directory than the model it is made from ({source})");
        if (LoraDirectory.Holds(source) && LoraDirectory.ReadConfig(source).BaseModel is var baseModel && SameDirectory(baseModel, target))
            throw new ArgumentException($"{target} is the adapters' base model ({baseModel}): writing there would overwrite it and " +
                                        "leave the adapters without their base; choose another directory");
        if (RunFolder(target) is { } run)
            throw new ArgumentException($"{target} is a folder of the training run in {run}, which writes it again; choose another " +
                                        "directory");
        if (File.Exists(Path.Combine(target, Trainer.StateFile)))
            throw new ArgumentException($"{target} holds a training run ({Trainer.StateFile}), whose next checkpoint or resume " +
                                        "would overwrite the model written there; choose another directory");
        if (LoraDirectory.Holds(target))
            throw new ArgumentException($"{target} holds adapters ({LoraDirectory.ConfigFile}), which would still be read instead " +
                                        "of the model written there; choose another directory");
    }

    /// <summary>Whether two paths name the same directory, through a link too (a link to a model is that model).</summary>
    public static bool SameDirectory(string a, string b) => RealPath(a) == RealPath(b);

    // The run whose best/, ema/ or checkpoints/ folder the path is, or null.
    private static string? RunFolder(string target)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        string? parent = Path.GetDirectoryName(full);
        bool own = Path.GetFileName(full) is Trainer.BestFolder or Trainer.EmaFolder or CheckpointAverage.Folder;
        return own && parent is not null && File.Exists(Path.Combine(parent, Trainer.StateFile)) ? parent : null;
    }

    // The path with every link along it followed (a link to a folder above the model counts too), as realpath(3) does.
    private static string RealPath(string directory, int depth = 0)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (string part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new DirectoryInfo(current);
            if (depth < MaxLinks && info.Exists && info.LinkTarget is not null
                && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                current = RealPath(target.FullName, depth + 1);
        }
        return Path.TrimEndingDirectorySeparator(current);
    }

    private const int MaxLinks = 40;   // as the kernel's ELOOP limit
}
