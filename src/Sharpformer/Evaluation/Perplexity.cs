namespace Sharpformer.Evaluation;

/// <summary>Perplexity from cross-entropy loss in nats (the natural-log loss of <see cref="Losses.CrossEntropy"/>).</summary>
public static class Perplexity
{
    /// <summary>exp(mean loss per token).</summary>
    public static double FromMeanLoss(double meanLoss) => Math.Exp(meanLoss);

    /// <summary>exp(total loss / tokens): for losses summed over batches of different sizes.</summary>
    public static double FromTotalLoss(double totalLoss, long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        return Math.Exp(totalLoss / tokens);
    }
}
