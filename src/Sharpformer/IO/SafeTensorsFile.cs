using System.Diagnostics.CodeAnalysis;
using Sharpformer.Tensors;

namespace Sharpformer.IO;

/// <summary>The content of a safetensors file: its tensors in file order, and its string metadata.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, Tensor> _byName;

    internal SafeTensorsFile(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, Tensor>(tensors, StringComparer.Ordinal);
    }

    /// <summary>Name and tensor pairs in the order the header lists them.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file holds no such tensor.</exception>
    public Tensor this[string name] => _byName.TryGetValue(name, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"SafeTensorsFile: no tensor named '{name}'");

    /// <summary>The tensor named <paramref name="name"/>, if the file holds one.</summary>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out Tensor tensor) => _byName.TryGetValue(name, out tensor);
}
