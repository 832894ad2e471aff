using BFloat16 = Sharpformer.Kernels.BFloat16;
using TorchSharp;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// float32 → bfloat16 → float32 against PyTorch's <c>tensor.to(torch.bfloat16)</c> (round to nearest, ties to even),
/// on random values of every magnitude and on the cases where rounding is decided: ties, overflow, subnormals, ±∞, NaN.
/// </summary>
public class BFloat16ParityTests
{
    [Fact]
    public void RoundingMatchesTorch()
    {
        var rng = new Random(11);
        var values = new List<float>();
        for (int i = 0; i < 100_000; i++)
        {
            uint bits = (uint)rng.NextInt64(0, 1L << 32);
            if (i % 4 == 0) bits = (bits & 0xFFFF_0000) | 0x8000;   // exact ties
            if (i % 4 == 1) bits &= 0x807F_FFFF;                      // subnormals
            values.Add(BitConverter.UInt32BitsToSingle(bits));
        }
        values.AddRange([0f, -0f, 1f, float.MaxValue, -float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity,
            float.NaN, BitConverter.UInt32BitsToSingle(0x7F7F_8000), BitConverter.UInt32BitsToSingle(0x7F7F_7FFF)]);
        var input = values.ToArray();

        using var scope = torch.NewDisposeScope();
        var theirs = torch.tensor(input).to(torch.ScalarType.BFloat16).to(torch.ScalarType.Float32).data<float>().ToArray();
        var ours = new ushort[input.Length];
        BFloat16.Narrow(input, ours);
        for (int i = 0; i < input.Length; i++)
        {
            float mine = BFloat16.ToFloat(ours[i]);
            bool same = float.IsNaN(theirs[i]) ? float.IsNaN(mine)
                : BitConverter.SingleToUInt32Bits(mine) == BitConverter.SingleToUInt32Bits(theirs[i]);
            if (!same)
                Assert.Fail($"{BitConverter.SingleToUInt32Bits(input[i]):X8}: ours {BitConverter.SingleToUInt32Bits(mine):X8}, " +
                            $"torch {BitConverter.SingleToUInt32Bits(theirs[i]):X8}");
        }
    }
}
