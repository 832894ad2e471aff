namespace Sharpformer.Generation;

/// <summary>
/// A decoded sequence: its tokens (without bos and eos) and its score — the sum of the chosen tokens'
/// log-probabilities (eos included), or for beam search that sum divided by the length penalty.
/// </summary>
public sealed record Hypothesis(int[] Tokens, float Score, bool Ended);
