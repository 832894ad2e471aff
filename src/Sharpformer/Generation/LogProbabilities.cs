namespace Sharpformer.Generation;

/// <summary>Row-wise numerics on flat [rows·vocab] logits.</summary>
internal static class LogProbabilities
{
    /// <summary>log softmax of one row, computed stably in double precision.</summary>
    public static double[] Row(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = MathF.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        double logSum = max + Math.Log(sum);
        var result = new double[logits.Length];
        for (int i = 0; i < result.Length; i++) result[i] = logits[i] - logSum;
        return result;
    }

    /// <summary>Rules out the ids a decoder must never emit: padding and beginning-of-sequence.</summary>
    public static void ForbidSpecial(Span<float> logits)
    {
        logits[Data.SpecialTokens.Pad] = float.NegativeInfinity;
        logits[Data.SpecialTokens.Bos] = float.NegativeInfinity;
    }

    /// <summary>Index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
