using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Data;

/// <summary>The ids a batch is built with: padding, the decoder's first input, and the end of every target.</summary>
/// <param name="Pad">Fills the rows out to the longest; ignored by the loss.</param>
/// <param name="Bos">Starts each decoder input.</param>
/// <param name="Eos">Ends each expected output (may equal <paramref name="Bos"/>, as GPT-2's &lt;|endoftext|&gt; does).</param>
public readonly record struct SpecialIds(int Pad, int Bos, int Eos)
{
    /// <summary>Sharpformer's reserved ids: &lt;pad&gt; 0, &lt;bos&gt; 1, &lt;eos&gt; 2.</summary>
    public static SpecialIds Reserved => new(SpecialTokens.Pad, SpecialTokens.Bos, SpecialTokens.Eos);

    /// <summary>The ids a model was built with.</summary>
    public static SpecialIds Of(TransformerConfig config) => new(config.PadId, config.BosId, config.EosId);

    /// <summary>
    /// A tokenizer's &lt;pad&gt;, &lt;bos&gt; and &lt;eos&gt; (GPT-2's &lt;|endoftext|&gt; serving as both of the
    /// last two); an <see cref="ArgumentException"/> names the first one it lacks.
    /// </summary>
    public static SpecialIds Of(SpecialTokenSet tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return new(tokens.Pad ?? throw Missing("<pad>"), tokens.Bos ?? throw Missing("<bos>"), tokens.Eos ?? throw Missing("<eos>"));
    }

    private static ArgumentException Missing(string name) => new($"the tokenizer has no {name} special token");
}
