using Sharpformer.Data;
using Sharpformer.NN;

namespace Sharpformer.Exercises.Week08;

/// <summary>Week 8 with the library plugged in: its causal mask and the batches the trainer builds.</summary>
public static class DecoderPieces
{
    /// <summary>The library's causal mask.</summary>
    public static float[] CausalMask(int length) => AttentionMask.Causal(length).Additive.ToArray();

    /// <summary>One pair's decoder input and expected output, as <see cref="Batch.FromPairs"/> makes them.</summary>
    public static (int[] DecoderInput, int[] ExpectedOutput) TeacherForcing(int[] target, int bos, int eos)
    {
        var batch = Batch.FromPairs([new SequencePair([bos], target)], new SpecialIds(Pad: -1, Bos: bos, Eos: eos));
        return ([.. batch.TargetInput.ToArray().Select(v => (int)v)], [.. batch.TargetOutput.ToArray().Select(v => (int)v)]);
    }
}
