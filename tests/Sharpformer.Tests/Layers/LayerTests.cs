using Sharpformer.Tensors;
using Sharpformer.Tests.Layers.Fixture.High;
using Sharpformer.Tests.Layers.Fixture.Low;

namespace Sharpformer.Tests.Layers;

/// <summary>The library's layers (docs/architecture.md) hold: no type uses a namespace above its own.</summary>
public class LayerTests
{
    /// <summary>The layer order of docs/architecture.md, bottom first.</summary>
    private static readonly LayerRules Library = new("Sharpformer",
    [
        [["Kernels"]],
        [["Tensors", "Autograd"]],
        [["IO"], ["Distributed"]],
        [["NN"], ["Losses"], ["Optim"], ["Text"], ["Evaluation"]],
        [["Models"], ["Data"], ["Onnx"]],
        [["Generation"]],
        [["Training"]],
    ]);

    [Fact]
    public void EveryNamespaceOfTheLibraryHasALayer() =>
        Assert.Empty(Library.Unplaced(typeof(Tensor).Assembly.GetTypes()));

    [Fact]
    public void NoTypeOfTheLibraryUsesALayerAboveItsOwn()
    {
        var violations = Library.Violations(typeof(Tensor).Assembly.GetTypes());
        Assert.True(violations.Count == 0, $"{violations.Count} forbidden reference(s):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void TheCheckFindsReferencesUpwardAndBetweenPeers()
    {
        var rules = new LayerRules("Sharpformer.Tests.Layers.Fixture", [[["Low"]], [["High"], ["Peer"]]]);
        var types = typeof(LowType).Assembly.GetTypes();

        var violations = rules.Violations(types);

        Assert.Equal(
        [
            "Sharpformer.Tests.Layers.Fixture.High.HighType (High, layer 1) "
                + "uses Sharpformer.Tests.Layers.Fixture.Peer.PeerType (Peer, layer 1)",
            "Sharpformer.Tests.Layers.Fixture.Low.LowType (Low, layer 0) "
                + "uses Sharpformer.Tests.Layers.Fixture.High.HighType (High, layer 1)",
        ], violations);
        Assert.Empty(rules.Unplaced(types));
    }

    [Fact]
    public void ReferencesOnlyInMethodBodiesAreFound()
    {
        // LowType names HighType only inside a lambda's body: no signature shows it.
        var used = TypeReferences.Of(typeof(LowType)).Concat(typeof(LowType).GetNestedTypes(
            System.Reflection.BindingFlags.NonPublic).SelectMany(TypeReferences.Of));
        Assert.Contains(typeof(HighType), used);
        Assert.DoesNotContain(typeof(HighType), typeof(LowType).GetMethods().Select(m => m.ReturnType));
    }
}
