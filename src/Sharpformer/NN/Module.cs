using Sharpformer.Autograd;
using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A building block of a network: it owns parameters and child modules, registered by name. Names of
/// nested parameters are dotted paths in registration order (e.g. <c>encoder.layers.0.linear1.weight</c>),
/// matching PyTorch's state dicts.
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];
    private readonly List<KeyValuePair<string, QuantizedMatrix[]>> _int8Weights = [];

    /// <summary>True in training mode (dropout active), false in evaluation mode.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Registers a parameter (it will require grad) and returns it.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.RequiresGrad = true;
        _parameters.Add(new(name, value));
        return value;
    }

    /// <summary>
    /// Registers a child module and returns it. A child registered with an empty name lends its
    /// parameters to this module without a prefix (used where PyTorch keeps them at this level).
    /// </summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        if (name.Length > 0) CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>Removes a child registered by <see cref="RegisterModule"/> (with its parameters).</summary>
    protected void UnregisterModule(Module module)
    {
        int index = _children.FindIndex(c => ReferenceEquals(c.Value, module));
        if (index < 0) throw new ArgumentException($"Module: {module.GetType().Name} is not a child of {GetType().Name}");
        _children.RemoveAt(index);
    }

    /// <summary>Every parameter with its dotted name, each tensor once (a shared tensor under its first name).</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, value) in AllParameters(""))
            if (seen.Add(value)) yield return (name, value);
    }

    /// <summary>
    /// Every int8 weight matrix of a quantized model with its dotted name, each once: the row blocks that stack
    /// into the stored matrix (one block, or three for an attention in-projection's queries, keys and values).
    /// </summary>
    public IEnumerable<(string Name, IReadOnlyList<QuantizedMatrix> Blocks)> NamedInt8Weights()
    {
        var seen = new HashSet<QuantizedMatrix>(ReferenceEqualityComparer.Instance);
        foreach (var (name, blocks) in AllInt8Weights(""))
            if (seen.Add(blocks[0])) yield return (name, blocks);
    }

    /// <summary>Every int8 weight under every name it has (a shared one under each), as <see cref="StateDict"/> lists parameters.</summary>
    internal IEnumerable<(string Name, QuantizedMatrix[] Blocks)> AllInt8WeightNames() => AllInt8Weights("");

    /// <summary>
    /// Replaces the float parameter <paramref name="name"/> of this module by int8 row blocks: it is no longer a
    /// parameter (nothing trains it) and its float values can be collected.
    /// </summary>
    protected void ReplaceWithInt8(string name, params QuantizedMatrix[] blocks)
    {
        int index = _parameters.FindIndex(p => p.Key == name);
        if (index < 0) throw new ArgumentException($"Module: {GetType().Name} has no parameter '{name}'");
        _parameters.RemoveAt(index);
        _int8Weights.Add(new(name, blocks));
    }

    /// <summary>
    /// Puts <paramref name="value"/> in the place of parameter <paramref name="name"/> of this module (a rank's share of it,
    /// <see cref="SequenceModel.SplitAcross"/>); it requires grad as the old one did. Returns <paramref name="value"/>.
    /// </summary>
    protected Tensor ReplaceParameter(string name, Tensor value)
    {
        int index = _parameters.FindIndex(p => p.Key == name);
        if (index < 0) throw new ArgumentException($"Module: {GetType().Name} has no parameter '{name}'");
        value.RequiresGrad = _parameters[index].Value.RequiresGrad;
        _parameters[index] = new(name, value);
        return value;
    }

    /// <summary>
    /// Quantizes this module's own weight matrices (not its children's) with <paramref name="quantize"/>, which
    /// returns the same int8 matrix for a float tensor shared between modules.
    /// </summary>
    internal virtual void QuantizeOwnWeights(Func<Tensor, QuantizedMatrix> quantize) { }

    /// <summary>Every parameter, each tensor once.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Number of trainable values (shared tensors counted once), as PyTorch's sum of numel.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Length);

    /// <summary>Number of values held by int8 weight matrices (each matrix once; 0 in a float32 model).</summary>
    public long Int8ValueCount() => NamedInt8Weights().Sum(w => w.Blocks.Sum(b => (long)b.Rows * b.Columns));

    /// <summary>This module and all descendants with their dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (childName, child) in _children)
            foreach (var (name, module) in child.NamedModules())
                yield return (Join(childName, name), module);
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> Children() => _children.Select(c => (c.Key, c.Value));

    /// <summary>Sets training mode on this module and every descendant; returns this.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = training;
        return this;
    }

    /// <summary>Evaluation mode (dropout off); returns this.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Calls <paramref name="fn"/> on every descendant, then on this module (as torch's apply), e.g. to
    /// initialize weights.
    /// </summary>
    public void Apply(Action<Module> fn)
    {
        foreach (var (_, child) in _children) child.Apply(fn);
        fn(this);
    }

    /// <summary>Clears the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Every parameter under every name it has (a shared tensor appears under each), as torch's state_dict.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict() =>
        [.. AllParameters("").Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value))];

    /// <summary>
    /// Copies values into the parameters by name (shapes must match). With <paramref name="strict"/>,
    /// missing and unexpected names are errors; a name missing for a tensor shared with a present name
    /// is fine.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var loaded = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var missing = new List<string>();
        var all = AllParameters("").ToList();
        using var _ = GradMode.NoGrad();
        foreach (var (name, target) in all)
        {
            if (!state.TryGetValue(name, out var source))
            {
                missing.Add(name);
                continue;
            }
            if (!source.Shape.SequenceEqual(target.Shape))
                throw new ShapeMismatchException(
                    $"LoadStateDict: '{name}' has shape {Shapes.Format(source.Shape)} in the state dict " +
                    $"but {Shapes.Format(target.Shape)} in the model");
            if (!loaded.Add(target))
            {
                // A tensor shared under several names: every name must hold the same values.
                if (!source.ToArray().AsSpan().SequenceEqual(target.ToArray()))
                    throw new ArgumentException($"LoadStateDict: '{name}' names a tensor this model shares with another name, " +
                                                $"but the state dict holds different values for them");
                continue;
            }
            target.CopyFrom(source);
        }
        if (!strict) return;
        var reallyMissing = missing.Where(n => !loaded.Contains(all.First(p => p.Name == n).Value)).ToList();
        var known = all.Select(p => p.Name).ToHashSet();
        var unexpected = state.Keys.Where(k => !known.Contains(k)).ToList();
        if (reallyMissing.Count > 0 || unexpected.Count > 0)
            throw new KeyNotFoundException(
                $"LoadStateDict: missing [{string.Join(", ", reallyMissing)}], unexpected [{string.Join(", ", unexpected)}]");
    }

    private IEnumerable<(string Name, Tensor Value)> AllParameters(string prefix)
    {
        foreach (var (name, value) in _parameters) yield return (Join(prefix, name), value);
        foreach (var (childName, child) in _children)
            foreach (var p in child.AllParameters(Join(prefix, childName))) yield return p;
    }

    private IEnumerable<(string Name, QuantizedMatrix[] Blocks)> AllInt8Weights(string prefix)
    {
        foreach (var (name, blocks) in _int8Weights) yield return (Join(prefix, name), blocks);
        foreach (var (childName, child) in _children)
            foreach (var w in child.AllInt8Weights(Join(prefix, childName))) yield return w;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : name.Length == 0 ? prefix : prefix + "." + name;

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Module: '{name}' is not a valid name (non-empty, no dots)");
        if (_parameters.Any(p => p.Key == name) || _children.Any(c => c.Key == name) || _int8Weights.Any(w => w.Key == name))
            throw new ArgumentException($"Module: the name '{name}' is already registered on {GetType().Name}");
    }
}
