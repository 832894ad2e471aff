using Sharpformer.Autograd;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.NN;

/// <summary>The check several model tests share: decoding step by step with the key/value cache gives the full forward's logits.</summary>
internal static class CachedDecoding
{
    /// <summary>
    /// Decodes <paramref name="target"/>: [B, T] one position at a time over <paramref name="source"/>: [B, S] and compares
    /// each step's logits with position t of the teacher-forced forward, to <paramref name="tolerance"/> relative (absolute below 1).
    /// </summary>
    public static void AssertMatchesFullForward(Transformer model, Tensor source, Tensor target, float tolerance)
    {
        using var _ = GradMode.NoGrad();
        int rows = target.Size(0), length = target.Size(1);
        var memory = model.Encode(source);
        var full = model.Decode(target, memory, source);                               // [B, T, V]
        var cache = model.NewCache();
        var sourceMask = model.SourceMask(source);
        float[] targets = target.ToArray();
        for (int t = 0; t < length; t++)
        {
            var tokens = Tensor.FromArray([.. Enumerable.Range(0, rows).Select(r => targets[r * length + t])]);
            var step = model.DecodeStep(tokens, memory, sourceMask, cache).ToArray();     // [B, V]
            var expected = full.Narrow(1, t, 1).ToArray();
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(step[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                    $"position {t}, element {i}: {step[i]} vs {expected[i]}");
        }
    }
}
