using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Sharpformer.IO;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Models;

/// <summary>
/// What a LoRA fine-tuning run holds instead of a whole model: <c>adapter_config.json</c> (rank, α, dropout, targets,
/// the base model directory and the SHA-256 of its weights) and <c>adapter.safetensors</c> (the adapters' A and B
/// under the model's parameter names). Opening it loads the base, checks that its weights are the ones the adapters
/// were trained on, and adds the adapters.
/// </summary>
public static class LoraDirectory
{
    /// <summary>The adapters' weights.</summary>
    public const string AdapterFile = "adapter.safetensors";

    /// <summary>The adapters' settings and their base.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>Whether <paramref name="directory"/> holds adapters (rather than a whole model).</summary>
    public static bool Holds(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// The whole model behind <paramref name="directory"/>: a LoRA run's base (whose <c>config.json</c> gives the
    /// architecture and whose weights are the float ones), or the directory itself when it holds a whole model.
    /// </summary>
    public static string BaseOrSelf(string directory) => Holds(directory) ? ReadConfig(directory).BaseModel : directory;

    /// <summary>The SHA-256 of a model directory's weights file, in lower-case hex.</summary>
    /// <exception cref="InvalidFileException">The file is missing or unreadable.</exception>
    public static string HashWeights(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, ModelDirectory.WeightsFile);
        using var stream = FileBytes.Open(path);
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (IOException e) when (e is not InvalidFileException)
        {
            throw new InvalidFileException(path, $"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>Writes <c>adapter_config.json</c> atomically.</summary>
    public static void WriteConfig(string directory, LoraAdapterConfig config)
    {
        Directory.CreateDirectory(directory);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("base_model", config.BaseModel);
            json.WriteString("base_weights_sha256", config.BaseWeightsSha256);
            json.WriteNumber("rank", config.Options.Rank);
            json.WriteNumber("lora_alpha", config.Options.Alpha);
            json.WriteNumber("lora_dropout", config.Options.Dropout);
            json.WriteString("target_modules", LoraOptions.FormatTargets(config.Options.Targets));
            json.WriteString("bias", config.Options.TrainBiases ? "all" : "none");
            json.WriteEndObject();
        }
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
    }

    /// <summary>Reads and checks <c>adapter_config.json</c>.</summary>
    /// <exception cref="InvalidFileException">The file is missing, not JSON, or holds a bad setting.</exception>
    public static LoraAdapterConfig ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        using var document = JsonFields.Parse(FileBytes.Read(path, 1 << 20), path);
        var json = new JsonFields(document.RootElement, path);
        string baseModel = json.String("base_model"), hash = json.String("base_weights_sha256");
        LoraOptions options;
        try
        {
            options = new LoraOptions
            {
                Rank = json.Int("rank"), Alpha = json.Float("lora_alpha"), Dropout = json.Float("lora_dropout"),
                Targets = LoraOptions.ParseTargets(json.String("target_modules")),
                TrainBiases = json.String("bias", "none") switch   // absent before biases could train
                {
                    "none" => false,
                    "all" => true,
                    var other => throw new ArgumentException($"bias is \"{other}\", not \"none\" or \"all\""),
                },
            };
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw json.Error(e.Message);
        }
        json.RejectOthers();
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower)) throw json.Error("base_weights_sha256 is not a SHA-256 in hex");
        if (baseModel.Length == 0) throw json.Error("base_model is empty");
        // Written as a full path; one written relative (by hand, by another tool) is relative to the adapter directory.
        return new LoraAdapterConfig(Path.GetFullPath(baseModel, Path.GetFullPath(directory)), hash, options);
    }

    /// <summary>
    /// Writes adapters (a model's trainable parameters: A and B, biases too if they train) to <c>adapter.safetensors</c>,
    /// atomically.
    /// </summary>
    public static void SaveAdapters(IEnumerable<(string Name, Tensor Value)> adapters, string directory) =>
        SafeTensors.Write(Path.Combine(directory, AdapterFile),
            adapters.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value)), new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>
    /// The base model named by the adapter config (its weights checked against the recorded hash), in training mode,
    /// with adapters added (not yet loaded) and its tokenizer.
    /// </summary>
    /// <exception cref="InvalidFileException">The config or the base is missing or damaged, or the base's weights changed.</exception>
    public static (SequenceModel Model, ITokenizer Tokenizer, LoraAdapterConfig Config) OpenBase(string directory)
    {
        var config = ReadConfig(directory);
        string baseDirectory = config.BaseModel;
        if (!Directory.Exists(baseDirectory))
            throw new InvalidFileException(Path.Combine(directory, ConfigFile), $"its base model {baseDirectory} does not exist");
        string hash = HashWeights(baseDirectory);
        if (hash != config.BaseWeightsSha256)
            throw new InvalidFileException(Path.Combine(directory, ConfigFile),
                $"the adapters were trained on other weights than {Path.Combine(baseDirectory, ModelDirectory.WeightsFile)} holds now " +
                $"(SHA-256 {hash[..12]}…, expected {config.BaseWeightsSha256[..12]}…)");
        var files = ModelDirectory.Open(baseDirectory);
        if (files.Model.IsQuantized)
            throw new InvalidFileException(Path.Combine(directory, ConfigFile),
                $"its base model {baseDirectory} is int8; adapters need float32");
        files.Model.Train();
        try
        {
            files.Model.AddLora(config.Options, new Rng(0));
        }
        catch (ArgumentException e)
        {
            throw new InvalidFileException(Path.Combine(directory, ConfigFile), $"its adapters do not fit the base ({e.Message})", e);
        }
        return (files.Model, files.Tokenizer, config);
    }

    /// <summary>
    /// Opens an adapter directory for use: the base with the trained adapters merged into its weights (the same outputs
    /// as the unmerged model, at the base's speed), in evaluation mode — or, with <paramref name="merge"/> false, with
    /// the adapters still apart (each adapted layer adding its low-rank term), to inspect them or train them further.
    /// </summary>
    /// <exception cref="InvalidFileException">A file is missing or damaged, or the base's weights changed.</exception>
    public static ModelFiles Open(string directory, bool merge = true)
    {
        var (model, tokenizer, _) = OpenBase(directory);
        string adapters = Path.Combine(directory, AdapterFile);
        ModelDirectory.LoadWeights(model, adapters, trainableOnly: true);
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Value.RequiresGrad))
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(p.AsSpan()))
                throw new InvalidFileException(adapters, $"its tensor {name} holds a NaN or an infinity");
        if (!merge)
        {
            model.Eval();
            return new ModelFiles(model, tokenizer);
        }
        model.MergeLora();
        foreach (var (name, p) in model.NamedParameters())
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(p.AsSpan()))
                throw new InvalidFileException(adapters, $"merging its adapters makes weight {name} overflow (a NaN or an infinity)");
        model.Eval();
        return new ModelFiles(model, tokenizer);
    }

    /// <summary>One line describing the adapters: rank, α and targets.</summary>
    public static string Describe(LoraAdapterConfig config) => string.Create(CultureInfo.InvariantCulture,
        $"LoRA rank {config.Options.Rank}, α {config.Options.Alpha}, targets {LoraOptions.FormatTargets(config.Options.Targets)}" +
        $"{(config.Options.TrainBiases ? ", biases trained" : "")}, base {config.BaseModel}");
}

/// <summary>The settings of a directory's adapters and the base they belong to.</summary>
/// <param name="BaseModel">The base model directory (a full path).</param>
/// <param name="BaseWeightsSha256">SHA-256 of the base's <c>model.safetensors</c> when the adapters were trained.</param>
/// <param name="Options">Rank, α, dropout and targets.</param>
public sealed record LoraAdapterConfig(string BaseModel, string BaseWeightsSha256, LoraOptions Options);
