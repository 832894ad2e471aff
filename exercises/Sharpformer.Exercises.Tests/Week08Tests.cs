using Sharpformer.Exercises.Week08;
using Sharpformer.NN;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 8: the causal mask and teacher forcing's shifted sequences.</summary>
[Trait("Week", "8")]
public sealed class Week08Tests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void CausalMaskMatchesTheLibrary(int length)
    {
        var mask = DecoderPieces.CausalMask(length);
        Assert.Equal(AttentionMask.Causal(length).Additive.ToArray(), mask);
        for (int t = 0; t < length; t++)
            for (int s = 0; s < length; s++)
                Assert.True(s > t ? float.IsNegativeInfinity(mask[t * length + s]) : mask[t * length + s] == 0f,
                    $"query {t}, key {s}: {mask[t * length + s]}");
    }

    [Fact]
    public void TeacherForcingShiftsTheTargetByOne()
    {
        var (input, output) = DecoderPieces.TeacherForcing([17, 4, 9], bos: 1, eos: 2);
        Assert.Equal(new[] { 1, 17, 4, 9 }, input);
        Assert.Equal(new[] { 17, 4, 9, 2 }, output);
        var (emptyInput, emptyOutput) = DecoderPieces.TeacherForcing([], bos: 1, eos: 2);
        Assert.Equal(new[] { 1 }, emptyInput);
        Assert.Equal(new[] { 2 }, emptyOutput);
    }
}
