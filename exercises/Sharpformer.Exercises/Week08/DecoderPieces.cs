namespace Sharpformer.Exercises.Week08;

/// <summary>Week 8: what lets a decoder train on a whole sentence at once (docs/08). Arrays are row-major.</summary>
public static class DecoderPieces
{
    /// <summary>The additive causal mask [length, length]: 0 where key s ≤ query t, −∞ where s &gt; t (the future).</summary>
    public static float[] CausalMask(int length) =>
        throw new NotImplementedException("Week 8: write CausalMask (docs/08-decoder.md, 'Teacher forcing and the causal mask')");

    /// <summary>
    /// Teacher forcing's two sequences for one target sentence: the decoder reads bos followed by the target, and must
    /// predict the target followed by eos (both one longer than <paramref name="target"/>).
    /// </summary>
    public static (int[] DecoderInput, int[] ExpectedOutput) TeacherForcing(int[] target, int bos, int eos) =>
        throw new NotImplementedException("Week 8: write TeacherForcing (docs/08-decoder.md, 'Teacher forcing and the causal mask')");
}
