using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week12;

/// <summary>Week 12 with the library plugged in: its beam search.</summary>
public static class Search
{
    /// <summary>GNMT's length normalization.</summary>
    public static float LengthNormalized(double logProbability, int length, float alpha) =>
        BeamSearch.Normalize(logProbability, length, alpha);

    /// <summary>The library's beam search over one source sentence.</summary>
    public static int[] Beam(Transformer model, int[] source, int beamSize, int maxLength, float alpha) =>
        BeamSearch.Decode(model, Tensor.FromArray([.. source.Select(id => (float)id)], 1, source.Length), beamSize, maxLength,
            alpha)[0].Tokens;
}
