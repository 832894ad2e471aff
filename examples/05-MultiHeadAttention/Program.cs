// Week 5 mini project: multi-head attention with different head counts.
// The parameter count does not depend on the head count (the projections stay E × E); what changes is
// how many separate attention patterns the layer can form. For each head count, print the output
// shape, the parameters, and how spread out each head's attention is (mean entropy in bits).
using Sharpformer.NN;
using Sharpformer.Tensors;

const int embed = 32, length = 6;
var x = Tensor.Normal([2, length, embed], new Rng(5));                      // x: [B=2, T=6, E=32]
foreach (int heads in new[] { 1, 2, 4, 8 })
{
    var mha = new MultiHeadAttention(embed, heads, dropout: 0f, new Rng(6));
    var (output, weights) = mha.Forward(x, x, x, returnWeights: true);      // self-attention
    var entropies = Enumerable.Range(0, heads).Select(h => MeanEntropy(weights!, h)).ToArray();
    Console.WriteLine($"{heads} head(s) of width {embed / heads,2}: output {Shapes.Format(output.Shape)}, " +
                      $"weights {Shapes.Format(weights!.Shape)}, {mha.ParameterCount()} parameters, " +
                      $"entropy per head (bits): {string.Join(" ", entropies.Select(e => e.ToString("F2")))}");
    Libtorch.Compare($"torch.nn.MultiheadAttention, {heads} head(s), the same weights", $"05.output.heads{heads}", output);
}
Console.WriteLine($"(uniform attention over {length} keys would have {Math.Log2(length):F2} bits)");

static double MeanEntropy(Tensor weights, int head)
{
    // weights: [B, H, T, S]
    double total = 0;
    int rows = 0;
    for (int b = 0; b < weights.Size(0); b++)
        for (int t = 0; t < weights.Size(2); t++, rows++)
            for (int s = 0; s < weights.Size(3); s++)
            {
                double w = weights[b, head, t, s];
                if (w > 0) total -= w * Math.Log2(w);
            }
    return total / rows;
}
