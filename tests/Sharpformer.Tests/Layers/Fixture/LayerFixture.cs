// Three tiny namespaces for LayerTests: Low (layer 0) reaches up to High, and High reaches across to its
// peer Peer (both layer 1); High's use of Low is allowed.
namespace Sharpformer.Tests.Layers.Fixture.Low
{
    internal sealed class LowType
    {
        public object MakeLater() => new Func<object>(() => new High.HighType()).Invoke();
    }
}

namespace Sharpformer.Tests.Layers.Fixture.High
{
    internal sealed class HighType
    {
        public Low.LowType Below { get; } = new();

        public int Across() => Peer.PeerType.Answer();
    }
}

namespace Sharpformer.Tests.Layers.Fixture.Peer
{
    internal static class PeerType
    {
        public static int Answer() => 42;
    }
}
