using Sharpformer.IO;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Models;

/// <summary>
/// A model directory: <c>config.json</c> (the architecture), <c>model.safetensors</c> (the weights,
/// under torch.nn.Transformer's state-dict names, each shared tensor stored once) and
/// <c>tokenizer.json</c>, plus the files that training adds (see docs/architecture.md).
/// </summary>
public static class ModelDirectory
{
    /// <summary>The architecture file.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights file.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The tokenizer file.</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>
    /// Opens a whole model directory for use: loads the config, the weights and the tokenizer, checks that
    /// they belong together (vocabulary size, the reserved special tokens, the padding id) and returns the
    /// model in evaluation mode. A directory of LoRA adapters opens as its base with the adapters merged
    /// (<see cref="LoraDirectory.Open"/>).
    /// </summary>
    /// <exception cref="InvalidFileException">A file is missing, damaged, or does not fit the others.</exception>
    public static ModelFiles Open(string directory)
    {
        if (LoraDirectory.Holds(directory)) return LoraDirectory.Open(directory);
        var model = Load(directory);
        string tokenizerPath = Path.Combine(directory, TokenizerFile);
        var tokenizer = ITokenizer.Load(tokenizerPath);
        if (tokenizer.VocabSize != model.Config.TargetVocab)
            throw new InvalidFileException(tokenizerPath,
                $"{tokenizer.VocabSize} tokens, but the model's vocabulary is {model.Config.TargetVocab}");
        // One tokenizer reads the source too: an id past the source embedding's rows would fail mid-translation.
        if (tokenizer.VocabSize != model.Config.SourceVocab)
            throw new InvalidFileException(tokenizerPath,
                $"{tokenizer.VocabSize} tokens, but the model's source vocabulary is {model.Config.SourceVocab}");
        // Decoding starts at <bos>, stops at <eos> and pads with <pad>: the ids config.json names (Sharpformer's: 0–2).
        var (specials, config) = (tokenizer.SpecialTokens, model.Config);
        if (specials.Pad != config.PadId || specials.Bos != config.BosId || specials.Eos != config.EosId)
            throw new InvalidFileException(tokenizerPath,
                $"the model pads with id {config.PadId}, starts at {config.BosId} and ends at {config.EosId} (config.json), " +
                $"but the tokenizer's <pad>, <bos> and <eos> are {Name(specials.Pad)}, {Name(specials.Bos)} and {Name(specials.Eos)}");
        model.Eval();
        return new ModelFiles(model, tokenizer);
    }

    private static string Name(int? id) => id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing";

    /// <summary>
    /// Writes a whole model directory: the config, the weights and the tokenizer, into
    /// <paramref name="directory"/> (created if needed), each file atomically.
    /// </summary>
    public static void Save(SequenceModel model, ITokenizer tokenizer, string directory)
    {
        Save(model, directory);
        tokenizer.Save(Path.Combine(directory, TokenizerFile));
    }

    /// <summary>Writes the config and the weights into <paramref name="directory"/> (created if needed), each file atomically.</summary>
    public static void Save(SequenceModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        TransformerConfigFile.Write(Path.Combine(directory, ConfigFile), model.Config);
        SaveWeights(model, Path.Combine(directory, WeightsFile));
    }

    /// <summary>
    /// Writes the config and float32 weights given by name (a model split over ranks, gathered whole) into
    /// <paramref name="directory"/>, each file atomically.
    /// </summary>
    internal static void Save(TransformerConfig config, IEnumerable<(string Name, Tensor Value)> weights, string directory)
    {
        Directory.CreateDirectory(directory);
        TransformerConfigFile.Write(Path.Combine(directory, ConfigFile), config);
        SafeTensors.Write(Path.Combine(directory, WeightsFile), [.. weights.Select(p => new SafeTensorsPayload(p.Name, p.Value))],
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Writes the weights alone (each tensor once, under its first name); an int8 matrix as its I8 values and its
    /// F32 scales (name + <see cref="ParameterLayout.ScaleSuffix"/>).
    /// </summary>
    public static void SaveWeights(Module model, string path)
    {
        var entries = model.NamedParameters().Select(p => new SafeTensorsPayload(p.Name, p.Value)).ToList();
        foreach (var (name, blocks) in model.NamedInt8Weights())
        {
            entries.Add(new SafeTensorsPayload(name, blocks));
            float[] scales = [.. blocks.SelectMany(b => b.Scales.ToArray())];
            entries.Add(new SafeTensorsPayload(name + ParameterLayout.ScaleSuffix, Tensor.FromArray(scales, scales.Length)));
        }
        SafeTensors.Write(path, entries, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads <c>config.json</c>, checks <c>model.safetensors</c>'s header against the shapes the config
    /// implies, and only then builds the model and reads the weights into it: a bad directory costs
    /// milliseconds and no memory. The model is returned in training mode.
    /// </summary>
    /// <exception cref="InvalidFileException">
    /// The directory or one of its files is missing, malformed, or does not fit the other.
    /// </exception>
    public static SequenceModel Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new InvalidFileException(directory, "no such model directory");
        if (LoraDirectory.Holds(directory))
            throw new InvalidFileException(directory, $"holds LoRA adapters ({LoraDirectory.ConfigFile}), not a whole model: " +
                "open it with ModelDirectory.Open (the base with the adapters added) or merge the adapters first");
        var config = ReadConfig(directory);
        using var weights = SafeTensorsReader.Open(Path.Combine(directory, WeightsFile));
        CheckHeader(weights, ParameterLayout.Stored(config), "config.json");
        var model = SequenceModel.Create(config, new Rng(0));
        ReadWeights(weights, model);
        return model;
    }

    /// <summary>Reads and validates <c>config.json</c> of a model directory.</summary>
    public static TransformerConfig ReadConfig(string directory) => TransformerConfigFile.Read(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// Loads weights by name into <paramref name="model"/>: every tensor of the model must be in the file
    /// (under any of its names) with its shape, and the file must hold nothing else.
    /// </summary>
    /// <exception cref="InvalidFileException">The file is missing, malformed or does not fit the model.</exception>
    /// <remarks>With <paramref name="trainableOnly"/>, the file holds exactly the parameters that require grad (adapters).</remarks>
    public static void LoadWeights(Module model, string path, bool trainableOnly = false)
    {
        using var weights = SafeTensorsReader.Open(path);
        CheckHeader(weights, SlotsOf(model, trainableOnly), trainableOnly ? "the model's adapters" : "the model");
        ReadWeights(weights, model);
    }

    /// <summary>
    /// Each parameter tensor of <paramref name="model"/> once (or each that requires grad), with all its state-dict names
    /// and its shape (the whole parameter's, for a model split over ranks).
    /// </summary>
    internal static IReadOnlyList<(string[] Names, long[] Shape)> SlotsOf(Module model, bool trainableOnly = false) =>
        [.. model.StateDict().Where(p => !trainableOnly || p.Value.RequiresGrad).GroupBy(p => p.Value, ReferenceEqualityComparer.Instance)
            .Select(group => (group.Select(p => p.Key).ToArray(), WholeShape(model, (Tensor)group.Key!).Select(d => (long)d).ToArray())),
         .. ParameterLayout.WithScales(Int8Slots(model))];

    private static int[] WholeShape(Module model, Tensor parameter) =>
        model is SequenceModel { TensorParallel: { } group } ? group.WholeShape(parameter) : parameter.ShapeArray();

    // Each int8 matrix of the model once, with all its names and its stacked shape.
    private static IEnumerable<(string[] Names, long[] Shape)> Int8Slots(Module model) =>
        model.AllInt8WeightNames().GroupBy(w => w.Blocks[0], ReferenceEqualityComparer.Instance)
            .Select(group => (group.Select(w => w.Name).ToArray(),
                new long[] { group.First().Blocks.Sum(b => b.Rows), group.First().Blocks[0].Columns }));

    /// <summary>
    /// Checks the names and shapes of the file's tensors whose names start with <paramref name="prefix"/>
    /// (without it) against <paramref name="slots"/>: nothing of the data has been read or allocated yet.
    /// </summary>
    internal static void CheckHeader(SafeTensorsReader weights, IReadOnlyList<(string[] Names, long[] Shape)> slots, string expectation,
        string prefix = "")
    {
        var slotOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < slots.Count; i++)
            foreach (string name in slots[i].Names) slotOf[name] = i;
        var covered = new bool[slots.Count];
        foreach (var entry in weights.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            if (!slotOf.TryGetValue(entry.Name[prefix.Length..], out int slot))
                throw Mismatch(weights, $"it holds tensor {InvalidFileException.Quote(entry.Name, 80)}, " +
                    $"which the model does not have (the weights do not fit {expectation})");
            if (!entry.Shape.Select(d => (long)d).SequenceEqual(slots[slot].Shape))
                throw Mismatch(weights, $"tensor '{entry.Name}' has shape {Shape(entry.Shape.Select(d => (long)d))}, " +
                    $"but {expectation} needs {Shape(slots[slot].Shape)} (the weights do not fit)");
            covered[slot] = true;
        }
        int missing = Array.IndexOf(covered, false);
        if (missing >= 0)
        {
            int count = covered.Count(c => !c);
            throw Mismatch(weights, $"tensor '{prefix}{slots[missing].Names[0]}' {Shape(slots[missing].Shape)} is missing" +
                $"{(count > 1 ? $" (and {count - 1} more)" : "")} (the weights do not fit {expectation})");
        }
    }

    /// <summary>
    /// Reads each tensor named <paramref name="prefix"/> + a parameter's name (checked by <see cref="CheckHeader"/>)
    /// straight into the parameter; a tensor stored under two names must hold the same values twice. A rank of a model split
    /// over ranks reads each split tensor whole and keeps its share.
    /// </summary>
    internal static void ReadWeights(SafeTensorsReader weights, Module model, string prefix = "")
    {
        var byName = model.StateDict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var int8 = model.AllInt8WeightNames().ToDictionary(w => w.Name, w => w.Blocks, StringComparer.Ordinal);
        var loaded = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var values = new Dictionary<QuantizedMatrix, (sbyte[]? Values, float[]? Scales)>(ReferenceEqualityComparer.Instance);
        foreach (var entry in weights.Entries.Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            string name = entry.Name[prefix.Length..];
            if (int8.TryGetValue(name, out var blocks))
            {
                var q = new sbyte[entry.Count];
                weights.ReadInto(entry, q);
                var held = values.GetValueOrDefault(blocks[0]);
                if (held.Values is { } first && !first.AsSpan().SequenceEqual(q)) throw TwoValues(weights, entry);
                values[blocks[0]] = held with { Values = q };
                continue;
            }
            RequireFloat(weights, entry);   // an I8 tensor would read as floats of ±127 (a scale, a bias, a float model's weight)
            if (name.EndsWith(ParameterLayout.ScaleSuffix, StringComparison.Ordinal)
                && int8.TryGetValue(name[..^ParameterLayout.ScaleSuffix.Length], out blocks))
            {
                var scales = new float[entry.Count];
                weights.ReadInto(entry, scales);
                var held = values.GetValueOrDefault(blocks[0]);
                if (held.Scales is { } first && !first.AsSpan().SequenceEqual(scales)) throw TwoValues(weights, entry);
                values[blocks[0]] = held with { Scales = scales };
                continue;
            }
            var parameter = byName[name];
            if (loaded.Add(parameter))
            {
                if (model is SequenceModel { TensorParallel: { } group } && group.IsSplit(parameter))
                {
                    var whole = new float[entry.Count];
                    weights.ReadInto(entry, whole);
                    group.Scatter(parameter, whole, parameter.AsSpan());
                }
                else weights.ReadInto(entry, parameter.AsSpan());
                continue;
            }
            var again = new float[entry.Count];
            weights.ReadInto(entry, again);
            if (!again.AsSpan().SequenceEqual(parameter.AsSpan())) throw TwoValues(weights, entry);
        }
        foreach (var (name, blocks) in model.NamedInt8Weights())
        {
            var (q, scales) = values[blocks[0]];
            int row = 0, columns = blocks[0].Columns;
            foreach (var block in blocks)
            {
                try
                {
                    block.Overwrite(q.AsSpan(row * columns, block.Rows * columns), scales.AsSpan(row, block.Rows));
                }
                catch (ArgumentException e)
                {
                    string problem = e.Message.Replace("QuantizedMatrix: ", "");
                    throw Mismatch(weights, $"tensor '{prefix}{name}' is not a valid int8 matrix ({problem})");
                }
                row += block.Rows;
            }
        }
    }

    private static InvalidFileException Mismatch(SafeTensorsReader weights, string problem) => new(weights.Source, problem);

    private static InvalidFileException TwoValues(SafeTensorsReader weights, SafeTensorsEntry entry) => Mismatch(weights,
        $"tensor '{entry.Name}' names a tensor the model shares with another name, but the file holds different values " +
        "under the two names");

    private static void RequireFloat(SafeTensorsReader weights, SafeTensorsEntry entry)
    {
        if (entry.DType == SafeTensorsDType.I8)
            throw Mismatch(weights, $"tensor '{entry.Name}' is I8, but the model holds it in float32 (only an int8 model's weight " +
                                    "matrices are I8)");
    }

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
