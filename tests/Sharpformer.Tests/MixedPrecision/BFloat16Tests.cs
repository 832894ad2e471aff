using Sharpformer.Kernels;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.MixedPrecision;

public class BFloat16Tests
{
    // The reference: of the two bfloat16 values around x (x's top 16 bits, and one step further from zero), the one
    // nearer in exact (double) arithmetic, the even one on a tie. Written without the bit trick the kernel uses.
    private static ushort Reference(float x)
    {
        if (float.IsNaN(x)) return (ushort)((BitConverter.SingleToUInt32Bits(x) >> 16) | 0x40);
        if (float.IsInfinity(x)) return (ushort)(BitConverter.SingleToUInt32Bits(x) >> 16);
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort down = (ushort)(bits >> 16), up = (ushort)(down + 1);
        double below = Math.Abs((double)x - BFloat16.ToFloat(down));
        double above = Math.Abs(BFloat16.ToFloat(up) - (double)x);   // ∞ past the largest finite value: the step to it counts
        if ((up & 0x7FFF) == 0x7F80) above = Math.Abs(Math.ScaleB(1.0, 128) * Math.Sign(x) - x);
        return below < above ? down : above < below ? up : (down & 1) == 0 ? down : up;
    }

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)]   // 1: exact
    [InlineData(0x3F80_8000u, 0x3F80)]   // 1 + 2⁻⁸: a tie, to the even 1
    [InlineData(0x3F81_8000u, 0x3F82)]   // 1 + 3·2⁻⁸: a tie, to the even 1 + 2⁻⁶
    [InlineData(0x3F80_8001u, 0x3F81)]   // just past the tie: up
    [InlineData(0x3F80_7FFFu, 0x3F80)]   // just before it: down
    [InlineData(0xBF80_8001u, 0xBF81)]   // negative: away from zero past the tie
    [InlineData(0x7F7F_0000u, 0x7F7F)]   // the largest bfloat16: exact
    [InlineData(0x7F7F_FFFFu, 0x7F80)]   // float32's largest: rounds to ∞
    [InlineData(0x7F80_0000u, 0x7F80)]   // ∞
    [InlineData(0xFF80_0000u, 0xFF80)]   // −∞
    [InlineData(0x7FC0_0000u, 0x7FC0)]   // quiet NaN
    [InlineData(0x7F80_0001u, 0x7FC0)]   // a signalling NaN whose payload sits in the low bits: still NaN, quieted
    [InlineData(0xFFC1_2345u, 0xFFC1)]   // negative NaN: sign and top payload kept
    [InlineData(0x0000_0001u, 0x0000)]   // the smallest subnormal: to zero
    [InlineData(0x0000_8000u, 0x0000)]   // a subnormal tie: to the even zero
    [InlineData(0x0001_8000u, 0x0002)]   // a subnormal tie: to the even 2
    [InlineData(0x007F_FFFFu, 0x0080)]   // the largest subnormal: up to the smallest normal
    [InlineData(0x8000_0000u, 0x8000)]   // −0 keeps its sign
    public void NarrowingRoundsToNearestEven(uint input, int expected)
    {
        float x = BitConverter.UInt32BitsToSingle(input);
        Assert.Equal((ushort)expected, BFloat16.FromFloat(x));
        Assert.Equal((ushort)expected, Reference(x));
        var vector = new float[37];   // the vector loop's lanes and the scalar tail alike
        Array.Fill(vector, x);
        var narrowed = new ushort[37];
        BFloat16.Narrow(vector, narrowed);
        Assert.All(narrowed, b => Assert.Equal((ushort)expected, b));
    }

    [Fact]
    public void VectorNarrowingMatchesTheReferenceOnRandomBitPatterns()
    {
        var rng = new Random(7);
        var values = new float[200_003];
        for (int i = 0; i < values.Length; i++)
            values[i] = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));   // every class: NaN, ∞, subnormal, normal
        var narrowed = new ushort[values.Length];
        BFloat16.Narrow(values, narrowed);
        for (int i = 0; i < values.Length; i++)
            if (narrowed[i] != Reference(values[i]))
                Assert.Fail($"{BitConverter.SingleToUInt32Bits(values[i]):X8} → {narrowed[i]:X4}, expected {Reference(values[i]):X4}");
    }

    [Fact]
    public void WideningIsExactAndNarrowingItAgainGivesEveryPatternBack()
    {
        var all = Enumerable.Range(0, 65536).Select(b => (ushort)b).ToArray();
        var widened = new float[all.Length];
        BFloat16.Widen(all, widened);
        var back = new ushort[all.Length];
        BFloat16.Narrow(widened, back);
        for (int b = 0; b < all.Length; b++)
        {
            Assert.Equal((uint)b << 16, BitConverter.SingleToUInt32Bits(widened[b]));
            bool nan = (b & 0x7FFF) > 0x7F80;
            Assert.Equal(nan ? (ushort)(b | 0x40) : (ushort)b, back[b]);   // NaNs come back quiet
        }
    }

    [Fact]
    public void RoundingKeepsEightSignificantBitsInPlaceOrIntoACopy()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 100_000).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        var rounded = (float[])values.Clone();
        BFloat16.Round(rounded, rounded);
        var copy = new float[values.Length + 5];
        BFloat16.Round(values, 3, copy, values.Length - 3);   // over threads, from an offset
        Assert.Equal(rounded[3..], copy[..(values.Length - 3)]);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(rounded[i]) & 0xFFFF);
            Assert.True(Math.Abs(rounded[i] - values[i]) <= Math.Abs(values[i]) * (1.0 / 256), $"{values[i]} → {rounded[i]}");
        }
    }

    [Fact]
    public void AWorkingCopyIsTheRoundedWeightWhetherOrNotItIsContiguous()
    {
        var weight = Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => 1f + i / 1000f)], 6, 8);
        var expected = weight.ToArray();
        BFloat16.Round(expected, expected);
        Assert.Equal(expected, weight.BFloat16WorkingCopy().ToArray());
        var transposed = weight.Transpose(0, 1);   // a view with strides
        Assert.Equal(transposed.Contiguous().ToArray().Select(v => BFloat16.ToFloat(BFloat16.FromFloat(v))),
            transposed.BFloat16WorkingCopy().ToArray());
    }
}
