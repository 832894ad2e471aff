using System.Numerics.Tensors;
using Sharpformer.NN;

namespace Sharpformer.Generation;

/// <summary>Row-wise numerics on flat [rows·vocab] logits.</summary>
internal static class LogProbabilities
{
    /// <summary>log softmax of one row in double precision: logits[i] − log Σ exp(logits).</summary>
    public static double[] Row(ReadOnlySpan<float> logits)
    {
        var result = new double[logits.Length];
        double logSum = LogSumExp(logits, result);
        TensorPrimitives.ConvertTruncating(logits, result);
        TensorPrimitives.Subtract(result, logSum, result);
        return result;
    }

    /// <summary>
    /// log Σ exp(logits), computed stably (max + log Σ exp(logit − max)) in double precision;
    /// <paramref name="scratch"/> holds at least as many values as the logits.
    /// </summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, Span<double> scratch)
    {
        float max = TensorPrimitives.Max(logits);
        var shifted = scratch[..logits.Length];
        for (int i = 0; i < logits.Length; i++) shifted[i] = logits[i] - max;
        TensorPrimitives.Exp(shifted, shifted);
        return max + Math.Log(TensorPrimitives.Sum<double>(shifted));
    }

    /// <summary>
    /// Rules out the ids a decoder must never emit: the model's padding id, and beginning-of-sequence unless it also
    /// ends one (GPT-2's &lt;|endoftext|&gt;).
    /// </summary>
    public static void ForbidSpecial(Span<float> logits, TransformerConfig config)
    {
        logits[config.PadId] = float.NegativeInfinity;
        if (config.BosId != config.EosId) logits[config.BosId] = float.NegativeInfinity;
    }

    /// <summary>Index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
