using Sharpformer.Evaluation;
using Sharpformer.Generation;
using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Training;

/// <summary>
/// The validation pairs as text, for scoring what users see: the model's translations of the sources, against the
/// references, with corpus BLEU (sacreBLEU's 13a defaults) and chrF.
/// </summary>
public sealed class TranslationValidation(ITokenizer tokenizer, IReadOnlyList<(string Source, string Target)> pairs)
{
    /// <summary>
    /// Translations are cut at this many times the longest source of their batch, plus <see cref="ExtraTokens"/>: a
    /// model early in training that repeats itself would otherwise decode to the model's maximum length, and make an
    /// evaluation many times slower, while a real translation between European languages is rarely 1.5 times longer.
    /// </summary>
    public const double LengthFactor = 1.5;

    /// <summary>Tokens allowed beyond <see cref="LengthFactor"/> times the source (short sources have long translations).</summary>
    public const int ExtraTokens = 10;

    /// <summary>The pairs translated at each evaluation.</summary>
    public IReadOnlyList<(string Source, string Target)> Pairs { get; } = pairs;

    /// <summary>
    /// The translation of every source by <paramref name="model"/> (greedy, or a beam of <paramref name="beam"/> with the
    /// paper's length penalty α = 0.6), decoded in batches of sources of similar length, each cut at
    /// <see cref="LengthFactor"/> × its longest source + <see cref="ExtraTokens"/>. The model is put in evaluation mode,
    /// and back in training mode if it was.
    /// </summary>
    public IReadOnlyList<string> Translate(Transformer model, int beam = 1)
    {
        bool training = model.IsTraining;
        try
        {
            var translator = new Translator(model, tokenizer);
            var options = beam > 1 ? DecodingOptions.Beam(beam) : DecodingOptions.Greedy;
            var lengths = Pairs.Select(p => tokenizer.Encode(p.Source).Length).ToArray();
            var hypotheses = new string[Pairs.Count];
            foreach (var chunk in Enumerable.Range(0, Pairs.Count).OrderBy(i => lengths[i]).Chunk(translator.BatchSize))
            {
                int limit = (int)(LengthFactor * lengths[chunk[^1]]) + ExtraTokens;
                var translations = translator.Translate([.. chunk.Select(i => Pairs[i].Source)], options with { MaxOutputTokens = limit });
                for (int k = 0; k < chunk.Length; k++) hypotheses[chunk[k]] = translations[k];
            }
            return hypotheses;
        }
        finally
        {
            if (training) model.Train();
        }
    }

    /// <summary>Corpus BLEU and chrF of <see cref="Translate"/>'s translations against the references.</summary>
    public (double Bleu, double Chrf) Score(Transformer model, int beam = 1)
    {
        var hypotheses = Translate(model, beam);
        IReadOnlyList<string?> references = [.. Pairs.Select(p => p.Target)];
        return (Bleu.Corpus(hypotheses, [references]).Score, Chrf.Corpus(hypotheses, [references]).Score);
    }
}
