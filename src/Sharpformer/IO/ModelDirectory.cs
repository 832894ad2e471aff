using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.IO;

/// <summary>
/// A model directory: <c>config.json</c> (the architecture) and <c>model.safetensors</c> (the weights,
/// under torch.nn.Transformer's state-dict names, each shared tensor stored once), plus the files that
/// training adds (see ARCHITECTURE.md).
/// </summary>
public static class ModelDirectory
{
    /// <summary>The architecture file.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Writes the config and the weights into <paramref name="directory"/> (created if needed), each file atomically.</summary>
    public static void Save(Transformer model, string directory)
    {
        Directory.CreateDirectory(directory);
        JsonFiles.Write(Path.Combine(directory, ConfigFile), model.Config, SharpformerJson.Default.TransformerConfig);
        SaveWeights(model, Path.Combine(directory, WeightsFile));
    }

    /// <summary>Writes the weights alone (each tensor once, under its first name).</summary>
    public static void SaveWeights(Module model, string path) =>
        SafeTensors.Write(path, model.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value)),
            new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>Builds the model described by <c>config.json</c> and loads <c>model.safetensors</c>; clear errors for missing or bad files.</summary>
    public static Transformer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such model directory");
        var config = ReadConfig(directory);
        var model = new Transformer(config, new Rng(0));
        LoadWeights(model, Path.Combine(directory, WeightsFile));
        return model;
    }

    /// <summary>Reads and validates <c>config.json</c> of a model directory.</summary>
    public static TransformerConfig ReadConfig(string directory) => ReadConfigFile(Path.Combine(directory, ConfigFile));

    /// <summary>Reads and validates a config file.</summary>
    public static TransformerConfig ReadConfigFile(string path)
    {
        var config = JsonFiles.Read(path, SharpformerJson.Default.TransformerConfig);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }

    /// <summary>Loads weights by name into <paramref name="model"/>; names or shapes that do not fit are a clear error.</summary>
    public static void LoadWeights(Module model, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such weights file");
        var file = SafeTensors.Read(path);
        try
        {
            model.LoadStateDict(file.Tensors.ToDictionary(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the weights do not fit the model: {e.Message}", e);
        }
    }
}
