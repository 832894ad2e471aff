namespace Sharpformer.Text;

/// <summary>The ids every Sharpformer vocabulary reserves, in this order.</summary>
public static class SpecialTokens
{
    /// <summary>Padding; ignored by the loss and masked out of attention.</summary>
    public const int Pad = 0;

    /// <summary>Beginning of sequence: the first decoder input.</summary>
    public const int Bos = 1;

    /// <summary>End of sequence: the last target token.</summary>
    public const int Eos = 2;

    /// <summary>Unknown token (word- and character-level vocabularies).</summary>
    public const int Unk = 3;

    /// <summary>Number of reserved ids; ordinary tokens start here.</summary>
    public const int Count = 4;

    /// <summary>The reserved tokens' names, by id.</summary>
    public static readonly string[] Names = ["<pad>", "<bos>", "<eos>", "<unk>"];
}
