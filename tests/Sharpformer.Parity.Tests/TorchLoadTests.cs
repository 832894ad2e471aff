using static TorchSharp.torch;

namespace Sharpformer.Parity.Tests;

/// <summary>The oracle itself: libtorch loads (see build/ElfWeakVersionNeed.targets) and computes.</summary>
public class TorchLoadTests
{
    [Fact]
    public void TorchOnesSumsToTwo()
    {
        using var t = ones(2);
        Assert.Equal(2f, t.sum().item<float>());
    }
}
