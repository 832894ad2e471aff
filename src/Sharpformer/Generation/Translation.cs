namespace Sharpformer.Generation;

/// <summary>
/// One translation of an n-best list: its text, its score (log-probability over the length penalty), its token ids, and
/// whether it ended with end-of-sequence (false: cut at the output limit, a sign of a runaway or truncated output).
/// </summary>
public sealed record Translation(string Text, float Score, int[] Tokens, bool Ended);
