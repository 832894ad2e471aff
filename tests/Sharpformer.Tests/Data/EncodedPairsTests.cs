using Sharpformer.Data;
using Sharpformer.Text;

namespace Sharpformer.Tests.Data;

/// <summary>
/// Encoding with a maximum length: sources cut to maxLength, targets to maxLength − 1 (room for eos), cut pairs
/// counted.
/// </summary>
public sealed class EncodedPairsTests
{
    // One token per character: 'a' → 4, 'b' → 5, …
    private static int[] Encode(string text) => [.. text.Select(c => c - 'a' + SpecialTokens.Count)];

    [Fact]
    public void LongSidesAreCutAndEachCutPairCountedOnce()
    {
        (string, string)[] pairs =
        [
            ("abcde", "abcd"),     // exactly at the limits: kept whole
            ("abcdef", "ab"),      // source one too long
            ("ab", "abcde"),       // target one too long (needs room for eos)
            ("abcdefghij", "abcdefghij"), // both too long: still one pair
            ("a", "b"),
        ];
        var encoded = EncodedPairs.Encode(pairs, Encode, maxLength: 5);
        Assert.Equal(3, encoded.Truncated);
        Assert.Equal(pairs.Length, encoded.Pairs.Count);
        Assert.Equal(Encode("abcde"), encoded.Pairs[0].Source);
        Assert.Equal(Encode("abcd"), encoded.Pairs[0].Target);
        Assert.Equal(Encode("abcde"), encoded.Pairs[1].Source);
        Assert.Equal(Encode("ab"), encoded.Pairs[1].Target);
        Assert.Equal(Encode("ab"), encoded.Pairs[2].Source);
        Assert.Equal(Encode("abcd"), encoded.Pairs[2].Target);
        Assert.Equal(Encode("abcde"), encoded.Pairs[3].Source);
        Assert.Equal(Encode("abcd"), encoded.Pairs[3].Target);
        Assert.Equal(Encode("a"), encoded.Pairs[4].Source);

        // Batched, no row is wider than the limit: the decoder sees bos + target or target + eos.
        var batch = Batch.FromPairs(encoded.Pairs);
        Assert.True(batch.Source.Size(1) <= 5);
        Assert.True(batch.TargetInput.Size(1) <= 5);
    }

    [Fact]
    public void NothingIsCountedWhenEverythingFits()
    {
        var encoded = EncodedPairs.Encode([("abc", "cba"), ("a", "a")], Encode, maxLength: 100);
        Assert.Equal(0, encoded.Truncated);
        Assert.Equal(Encode("cba"), encoded.Pairs[0].Target);
        Assert.Empty(EncodedPairs.Encode([], Encode, 10).Pairs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-3)]
    public void AMaximumBelowTwoIsRejected(int maxLength) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedPairs.Encode([("a", "b")], Encode, maxLength));
}
