// Week 4 mini project: single-head scaled dot-product attention, printing its weights.
// Queries, keys and values are projections of the same five vectors; the weights are printed as a table
// and as a text heatmap, with and without the causal (look-ahead) mask. The vectors are random (nothing is
// trained here), so they are named by position, t0 … t4, not by words: the weights show the mechanism, not meaning.
using Sharpformer.NN;
using Sharpformer.Tensors;

string[] tokens = ["t0", "t1", "t2", "t3", "t4"];
const int d = 8;
var rng = new Rng(seed: 4);
var x = Tensor.Normal([1, tokens.Length, d], rng);                          // x: [B=1, T=5, d]
var wq = new Linear(d, d, rng);
var wk = new Linear(d, d, rng);
var wv = new Linear(d, d, rng);
var attention = new ScaledDotProductAttention(dropout: 0f, rng);

foreach (var (title, mask) in new[] { ("no mask", (AttentionMask?)null), ("causal mask", AttentionMask.Causal(tokens.Length)) })
{
    var (output, weights) = attention.Forward(wq.Forward(x), wk.Forward(x), wv.Forward(x), mask, returnWeights: true);
    Console.WriteLine($"\nAttention weights, {title} (rows: queries, columns: keys; each row sums to 1); " +
                      $"output {Shapes.Format(output.Shape)}");
    Console.WriteLine("        " + string.Join("", tokens.Select(t => $"{t,7}")));
    for (int i = 0; i < tokens.Length; i++)
    {
        var row = Enumerable.Range(0, tokens.Length).Select(j => weights![0, i, j]).ToArray();
        string shades = string.Concat(row.Select(w => " ░▒▓█"[Math.Min(4, (int)(w * 5))]));
        Console.WriteLine($"{tokens[i],6}  " + string.Join("", row.Select(w => $"{w,7:F3}")) + $"   {shades}   Σ = {row.Sum():F3}");
    }
    string name = mask is null ? "none" : "causal";
    Libtorch.Compare($"weights, {title}", $"04.weights.{name}", weights!);
    Libtorch.Compare($"output, {title}", $"04.output.{name}", output);
}
