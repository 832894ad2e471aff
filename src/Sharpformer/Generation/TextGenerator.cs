using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Generation;

/// <summary>Continues a prompt with a decoder-only <see cref="LanguageModel"/>, one sampled token at a time (key/value cached).</summary>
public static class TextGenerator
{
    /// <summary>
    /// Feeds <paramref name="prompt"/> (at least one token) and samples up to <paramref name="maxTokens"/>
    /// more under <paramref name="options"/>, stopping early at eos. Returns only the new tokens.
    /// </summary>
    public static Hypothesis Generate(LanguageModel model, int[] prompt, SamplingOptions options, Rng rng, int maxTokens)
    {
        options.Validate();
        if (prompt.Length == 0) throw new ArgumentException("TextGenerator: the prompt must hold at least one token");
        if (prompt.Length + maxTokens > model.Config.MaxLength)
            throw new ArgumentException($"TextGenerator: prompt ({prompt.Length}) plus {maxTokens} new tokens exceed the model's maximum length {model.Config.MaxLength}");
        model.Eval();
        var cache = model.NewCache();
        var logits = new float[model.Config.TargetVocab];
        var scratch = new double[logits.Length];
        foreach (int token in prompt) model.DecodeStep([token], cache, logits);
        var output = new List<int>();
        double score = 0;
        for (int step = 0; step < maxTokens; step++)
        {
            LogProbabilities.ForbidSpecial(logits);
            int next = Sampler.Choose(logits, options, rng);
            score += logits[next] - LogProbabilities.LogSumExp(logits, scratch);
            if (next == SpecialTokens.Eos) return new Hypothesis([.. output], (float)score, true);
            output.Add(next);
            model.DecodeStep([next], cache, logits);
        }
        return new Hypothesis([.. output], (float)score, false);
    }
}
