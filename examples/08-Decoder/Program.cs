// Week 8 mini project: a decoder with masking.
// Builds a decoder stack, runs it with the causal (look-ahead) mask and cross-attention to an encoder
// memory, and demonstrates the mask: changing a later target token leaves every earlier output unchanged,
// while without the mask it leaks backwards.
using Sharpformer.NN;
using Sharpformer.Tensors;

const int dModel = 32, heads = 4, dFF = 64, length = 6;
var rng = new Rng(seed: 8);
var decoder = new Decoder(
    Enumerable.Range(0, 2).Select(_ => new DecoderLayer(dModel, heads, dFF, 0f, ActivationKind.Gelu, NormPlacement.Post, rng)).ToList(),
    new LayerNorm(dModel));
var memory = Tensor.Normal([1, 7, dModel], rng);                            // encoder output: [B, S=7, d_model]
var target = Tensor.Normal([1, length, dModel], rng);                       // embedded target: [B, T=6, d_model]
var changed = Tensor.Concat([target.Narrow(1, 0, 4), Tensor.Normal([1, 2, dModel], rng)], 1); // positions 4-5 differ

Console.WriteLine("Mask printed as 1 = may attend:");
var causal = AttentionMask.Causal(length);
for (int i = 0; i < length; i++)
    Console.WriteLine("  " + string.Join(" ", Enumerable.Range(0, length)
        .Select(j => float.IsNegativeInfinity(causal.Additive[i, j]) ? "0" : "1")));

foreach (var (title, mask) in new[] { ("with causal mask", (AttentionMask?)causal), ("without mask", null) })
{
    var a = decoder.Forward(target, memory, mask);
    var b = decoder.Forward(changed, memory, mask);
    var perPosition = Enumerable.Range(0, length).Select(t => (a.Narrow(1, t, 1) - b.Narrow(1, t, 1)).Pow(2f).Sum().Sqrt().Item());
    Console.WriteLine($"{title,-17}: output change per position after editing positions 4-5: " +
        string.Join(" ", perPosition.Select(v => v.ToString("F3"))));
}
Libtorch.Compare("output with the causal mask (torch.nn.TransformerDecoderLayer × 2, a final LayerNorm)", "08.output",
    decoder.Forward(target, memory, causal));
var weights = new List<DecoderAttention>();
decoder.Forward(target, memory, causal, weights: weights);
Console.WriteLine($"layer 0 self-attention {Shapes.Format(weights[0].SelfAttention!.Shape)}, " +
                  $"cross-attention {Shapes.Format(weights[0].CrossAttention!.Shape)}");
