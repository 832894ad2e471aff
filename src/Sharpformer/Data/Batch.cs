using Sharpformer.Tensors;

namespace Sharpformer.Data;

/// <summary>
/// A padded batch for teacher forcing: the source, the decoder input (bos + target) and the expected
/// output (target + eos), each [B, length] of token ids padded with <see cref="SpecialTokens.Pad"/>.
/// </summary>
public sealed record Batch(Tensor Source, Tensor TargetInput, Tensor TargetOutput, int SourceTokens, int TargetTokens)
{
    /// <summary>Number of examples.</summary>
    public int Size => Source.Size(0);

    /// <summary>Pads <paramref name="pairs"/> into one batch.</summary>
    public static Batch FromPairs(IReadOnlyList<SequencePair> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("Batch: no examples");
        int s = pairs.Max(p => p.Source.Length), t = pairs.Max(p => p.Target.Length) + 1;
        var source = new float[pairs.Count * s];
        var input = new float[pairs.Count * t];
        var output = new float[pairs.Count * t];
        int sourceTokens = 0, targetTokens = 0;
        for (int b = 0; b < pairs.Count; b++)
        {
            var (src, tgt) = (pairs[b].Source, pairs[b].Target);
            for (int i = 0; i < src.Length; i++) source[b * s + i] = src[i];
            input[b * t] = SpecialTokens.Bos;
            for (int i = 0; i < tgt.Length; i++)
            {
                input[b * t + i + 1] = tgt[i];
                output[b * t + i] = tgt[i];
            }
            output[b * t + tgt.Length] = SpecialTokens.Eos;
            sourceTokens += src.Length;
            targetTokens += tgt.Length + 1;
        }
        return new Batch(Tensor.FromArray(source, pairs.Count, s), Tensor.FromArray(input, pairs.Count, t), Tensor.FromArray(output, pairs.Count, t), sourceTokens, targetTokens);
    }
}
