using System.Globalization;

namespace Sharpformer.Evaluation;

/// <summary>
/// A BLEU result with sacreBLEU's fields. Scores and precisions are percentages (0–100).
/// </summary>
/// <param name="Score">BLEU, 0–100.</param>
/// <param name="Counts">Clipped n-gram matches for orders 1..N, summed over the corpus.</param>
/// <param name="Totals">Hypothesis n-grams for orders 1..N, summed over the corpus.</param>
/// <param name="Precisions">The (smoothed) n-gram precisions, 0–100.</param>
/// <param name="BrevityPenalty">exp(1 − r/c) when c &lt; r, else 1 (0 when c = 0).</param>
/// <param name="SysLen">c: hypothesis tokens in the corpus.</param>
/// <param name="RefLen">r: the sum over segments of the reference length closest to the hypothesis length (ties: the shorter).</param>
/// <param name="Signature">sacreBLEU-style signature, e.g. <c>nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:sharpformer</c>.</param>
public sealed record BleuScore(
    double Score,
    IReadOnlyList<long> Counts,
    IReadOnlyList<long> Totals,
    IReadOnlyList<double> Precisions,
    double BrevityPenalty,
    long SysLen,
    long RefLen,
    string Signature)
{
    /// <summary>c / r, or 0 when r = 0.</summary>
    public double Ratio => RefLen == 0 ? 0 : (double)SysLen / RefLen;

    /// <summary>
    /// sacreBLEU's one-line form:
    /// <c>BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)</c>.
    /// </summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        string precisions = string.Join('/', Precisions.Select(p => p.ToString("F1", inv)));
        return string.Create(inv,
            $"BLEU = {Score:F2} {precisions} (BP = {BrevityPenalty:F3} ratio = {Ratio:F3} hyp_len = {SysLen} ref_len = {RefLen})");
    }
}
