namespace Sharpformer.Evaluation;

/// <summary>A chrF result (0–100) with its name (<c>chrF2</c>, <c>chrF2++</c>) and a sacreBLEU-style signature.</summary>
/// <param name="Score">chrF, 0–100.</param>
/// <param name="Name">chrF{β} followed by one '+' per word order, as sacreBLEU names it.</param>
/// <param name="Signature">e.g. <c>nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:sharpformer</c>.</param>
public sealed record ChrfScore(double Score, string Name, string Signature)
{
    /// <summary>sacreBLEU's one-line form, e.g. <c>chrF2 = 59.73</c>.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Name} = {Score:F2}");
}
