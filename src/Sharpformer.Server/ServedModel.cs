using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;

namespace Sharpformer.Server;

/// <summary>
/// A model directory opened for serving under a name (a LoRA run's adapters merged into its base): a translator or a
/// text generator, and its config.json as written (for a LoRA run, its base's).
/// </summary>
public sealed class ServedModel
{
    private ServedModel(string name, string directory, ModelFiles files)
    {
        (Name, Directory, Files) = (name, directory, files);
        Translator = files.Model is Transformer translator ? new Translator(translator, files.Tokenizer) : null;
        Generator = files.Model is LanguageModel language ? new TextGenerator(language, files.Tokenizer) : null;
        // A LoRA run's architecture is its base model's.
        string configDirectory = LoraDirectory.BaseOrSelf(directory);
        ConfigJson = File.ReadAllBytes(Path.Combine(configDirectory, ModelDirectory.ConfigFile));
    }

    /// <summary>
    /// Opens <paramref name="spec"/>: a model directory, named after its last folder, or "NAME=DIR". Names are letters,
    /// digits, '-', '_' and '.'.
    /// </summary>
    /// <exception cref="IO.InvalidFileException">A file of the directory is missing or damaged.</exception>
    public static ServedModel Open(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        int equals = spec.IndexOf('=', StringComparison.Ordinal);
        string directory = equals > 0 ? spec[(equals + 1)..] : spec;
        string name = equals > 0 ? spec[..equals] : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        if (!IsName(name)) throw new ArgumentException($"model name '{name}' must be letters, digits, '-', '_' or '.' (give NAME=DIR)");
        return Open(name, directory);
    }

    /// <summary>Opens the model directory <paramref name="directory"/> to be served as <paramref name="name"/>.</summary>
    /// <exception cref="IO.InvalidFileException">A file of the directory is missing or damaged.</exception>
    /// <exception cref="ArgumentException">The name is not letters, digits, '-', '_' and '.'.</exception>
    public static ServedModel Open(string name, string directory)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!IsName(name)) throw new ArgumentException($"model name '{name}' must be letters, digits, '-', '_' or '.'");
        return new ServedModel(name, directory, ModelDirectory.Open(directory));
    }

    private static bool IsName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The name requests choose it by.</summary>
    public string Name { get; }

    /// <summary>The directory it was read from.</summary>
    public string Directory { get; }

    /// <summary>The model and tokenizer.</summary>
    public ModelFiles Files { get; }

    /// <summary>The translator of an encoder-decoder model; null for a language model.</summary>
    public Translator? Translator { get; }

    /// <summary>The generator of a decoder-only language model; null for a translation model.</summary>
    public TextGenerator? Generator { get; }

    /// <summary>Its parameters, int8 weights included, shared tensors once.</summary>
    public long Parameters => Files.Model.ParameterCount() + Files.Model.Int8ValueCount();

    /// <summary>"encoder-decoder" or "decoder-only".</summary>
    public string Kind => Translator is not null ? "encoder-decoder" : "decoder-only";

    /// <summary>The bytes of its config.json.</summary>
    internal byte[] ConfigJson { get; }
}
