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
    /// <summary>The pairs translated at each evaluation.</summary>
    public IReadOnlyList<(string Source, string Target)> Pairs { get; } = pairs;

    /// <summary>
    /// Translates every source with <paramref name="model"/> (greedy, or a beam of <paramref name="beam"/> with
    /// the paper's length penalty α = 0.6) and scores the translations. The model is put in evaluation mode, and back
    /// in training mode if it was.
    /// </summary>
    public (double Bleu, double Chrf) Score(Transformer model, int beam = 1)
    {
        bool training = model.IsTraining;
        try
        {
            var translator = new Translator(model, tokenizer);
            var options = beam > 1 ? DecodingOptions.Beam(beam) : DecodingOptions.Greedy;
            var hypotheses = translator.Translate([.. Pairs.Select(p => p.Source)], options);
            IReadOnlyList<string?> references = [.. Pairs.Select(p => p.Target)];
            return (Bleu.Corpus(hypotheses, [references]).Score, Chrf.Corpus(hypotheses, [references]).Score);
        }
        finally
        {
            if (training) model.Train();
        }
    }
}
