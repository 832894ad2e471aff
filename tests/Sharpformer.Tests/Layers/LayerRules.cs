namespace Sharpformer.Tests.Layers;

/// <summary>
/// An order of layers over namespaces: a type may use types of its own unit (a namespace, or namespaces
/// that form one concept) and of any unit in a lower layer; nothing else of the checked prefix.
/// </summary>
/// <param name="Prefix">The namespace prefix the rules cover, such as <c>Sharpformer</c>.</param>
/// <param name="Layers">Bottom first; each layer holds units, each unit one or more namespace suffixes.</param>
internal sealed record LayerRules(string Prefix, string[][][] Layers)
{
    /// <summary>One line per forbidden reference in <paramref name="types"/>, naming both types.</summary>
    public IReadOnlyList<string> Violations(IEnumerable<Type> types)
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (Place(type) is not var (layer, unit)) continue;
            foreach (var used in TypeReferences.Of(type))
            {
                if (Place(used) is not var (usedLayer, usedUnit)) continue;
                if (usedLayer < layer || (usedLayer == layer && usedUnit == unit)) continue;
                violations.Add($"{Name(Outermost(type))} ({UnitName(layer, unit)}, layer {layer}) uses {Name(Outermost(used))} "
                    + $"({UnitName(usedLayer, usedUnit)}, layer {usedLayer})");
            }
        }
        return [.. violations];
    }

    /// <summary>Namespaces under the prefix that no layer names (each must be placed).</summary>
    public IEnumerable<string> Unplaced(IEnumerable<Type> types) =>
        types.Select(t => t.Namespace).OfType<string>()
            .Where(ns => ns.StartsWith(Prefix + ".", StringComparison.Ordinal) || ns == Prefix)
            .Distinct().Where(ns => Find(ns) is null).Order(StringComparer.Ordinal);

    private (int Layer, int Unit)? Place(Type type) => Outermost(type).Namespace is { } ns ? Find(ns) : null;

    // Nested types (including the compiler's closures and state machines) belong to their outermost type.
    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type;
    }

    private (int Layer, int Unit)? Find(string ns)
    {
        for (int layer = 0; layer < Layers.Length; layer++)
            for (int unit = 0; unit < Layers[layer].Length; unit++)
                if (Layers[layer][unit].Any(suffix => ns == $"{Prefix}.{suffix}"
                    || ns.StartsWith($"{Prefix}.{suffix}.", StringComparison.Ordinal)))
                    return (layer, unit);
        return null;
    }

    private string UnitName(int layer, int unit) => string.Join("+", Layers[layer][unit]);

    private static string Name(Type type) => (type.FullName ?? type.Name).Split('`')[0].Replace('+', '.');
}
