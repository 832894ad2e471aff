using Sharpformer.NN;

namespace Sharpformer.Exercises.Week12;

/// <summary>Week 12: beam search, the way the library decodes (docs/12).</summary>
public static class Search
{
    /// <summary>GNMT's length normalization: logProbability / ((5 + length) / 6)^α.</summary>
    public static float LengthNormalized(double logProbability, int length, float alpha) =>
        throw new NotImplementedException("Week 12: write LengthNormalized (docs/12-generation.md)");

    /// <summary>
    /// The best translation of <paramref name="source"/> (token ids) by beam search with K = <paramref name="beamSize"/>,
    /// without bos and eos. The decoder reads bos and then a beam's tokens; the next token's log-probabilities are the
    /// log-softmax, in double, of the model's last logits (<c>model.Forward(source [1, S], decoderInput [1, T])</c>, under
    /// <c>GradMode.NoGrad()</c>) after setting the padding and bos ids' logits to −∞. Then, as the library does it:
    /// <list type="number">
    /// <item>Start with one live beam: no tokens, score 0. Run at most <paramref name="maxLength"/> steps t = 0, 1, ….</item>
    /// <item>Each step, extend every live beam by every token (score + log p) and take the 2K best extensions, best first.</item>
    /// <item>Walk them with a rank counting every candidate: one ending in eos is finished, scored
    /// <see cref="LengthNormalized"/>(score, its tokens + 1, α), if its rank is below K (keep only the K best finished);
    /// any other becomes one of the next step's beams while fewer than K are taken.</item>
    /// <item>Stop when K hypotheses have finished and no beam is live, or the best live score normalized with length t + 1
    /// is no better than the worst finished one.</item>
    /// <item>If the steps run out first, each live beam is a hypothesis too, normalized with its own length.</item>
    /// </list>
    /// The answer is the hypothesis with the best normalized score.
    /// </summary>
    public static int[] Beam(Transformer model, int[] source, int beamSize, int maxLength, float alpha) =>
        throw new NotImplementedException("Week 12: write Beam (docs/12-generation.md)");
}
