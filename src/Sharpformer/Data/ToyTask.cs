using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Data;

/// <summary>What a generated toy task asks the model to do with a random sequence.</summary>
public enum ToyTaskKind
{
    /// <summary>Target = source.</summary>
    Copy,

    /// <summary>Target = source reversed.</summary>
    Reverse,

    /// <summary>Target = source sorted ascending.</summary>
    Sort,
}

/// <summary>
/// Random token sequences and their copy, reversal or sorted order: tasks a Transformer must learn
/// exactly, so they test the whole training pipeline. Tokens are ids in [<see cref="SpecialTokens.Count"/>, vocab).
/// </summary>
public sealed class ToyTask
{
    /// <summary>A task over <paramref name="vocab"/> ids (including the reserved ones) with lengths in [minLength, maxLength].</summary>
    public ToyTask(ToyTaskKind kind, int vocab, int minLength, int maxLength)
    {
        if (vocab <= SpecialTokens.Count + 1)
            throw new ArgumentOutOfRangeException(nameof(vocab), $"ToyTask: vocabulary {vocab} leaves fewer than 2 ordinary tokens");
        if (minLength < 1 || maxLength < minLength)
            throw new ArgumentOutOfRangeException(nameof(minLength), $"ToyTask: lengths [{minLength}, {maxLength}] are not a valid range");
        (Kind, Vocab, MinLength, MaxLength) = (kind, vocab, minLength, maxLength);
    }

    /// <summary>Copy, reverse or sort.</summary>
    public ToyTaskKind Kind { get; }

    /// <summary>Vocabulary size, reserved ids included.</summary>
    public int Vocab { get; }

    /// <summary>Shortest sequence.</summary>
    public int MinLength { get; }

    /// <summary>Longest sequence.</summary>
    public int MaxLength { get; }

    /// <summary>Draws one example.</summary>
    public SequencePair Sample(Rng rng)
    {
        int length = MinLength + rng.NextInt(MaxLength - MinLength + 1);
        var source = new int[length];
        for (int i = 0; i < length; i++) source[i] = SpecialTokens.Count + rng.NextInt(Vocab - SpecialTokens.Count);
        var target = (int[])source.Clone();
        if (Kind == ToyTaskKind.Reverse) Array.Reverse(target);
        else if (Kind == ToyTaskKind.Sort) Array.Sort(target);
        return new SequencePair(source, target);
    }

    /// <summary>The task for a task name ("copy", "reverse", "sort"), or null if the name is not a toy task.</summary>
    public static ToyTaskKind? Parse(string name) => name switch
    {
        "copy" => ToyTaskKind.Copy,
        "reverse" => ToyTaskKind.Reverse,
        "sort" => ToyTaskKind.Sort,
        _ => null,
    };
}
