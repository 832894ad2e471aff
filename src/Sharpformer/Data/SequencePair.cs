namespace Sharpformer.Data;

/// <summary>One training example: source token ids and target token ids (without bos/eos).</summary>
public sealed record SequencePair(int[] Source, int[] Target);
