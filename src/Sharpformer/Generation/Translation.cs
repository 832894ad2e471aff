namespace Sharpformer.Generation;

/// <summary>One translation of an n-best list: its text, its score (log-probability over the length penalty) and its token ids.</summary>
public sealed record Translation(string Text, float Score, int[] Tokens);
