// Week 3 mini project: token embeddings plus sinusoidal positional encodings.
// Embeds a small batch of token ids, adds the positions, and shows why the sinusoids carry position:
// the dot product PE(p)·PE(q) depends only on the distance |p − q|, and falls off with it.
using Sharpformer.NN;
using Sharpformer.Tensors;

const int vocab = 10, dModel = 16, maxLength = 64;
var rng = new Rng(seed: 3);
var embedding = new Embedding(vocab, dModel, rng);
var positions = new SinusoidalPositionalEncoding(dModel, maxLength);

var ids = Tensor.FromArray([1, 5, 5, 2, 7, 0], 2, 3);                     // ids: [B=2, T=3]
var embedded = embedding.Forward(ids) * MathF.Sqrt(dModel);                  // [B, T, d_model], scaled as in the paper
var input = positions.Forward(embedded);                                     // + PE[0:T]
Console.WriteLine($"ids {Shapes.Format(ids.Shape)} → embeddings {Shapes.Format(embedded.Shape)} → " +
                  $"with positions {Shapes.Format(input.Shape)}");
Console.WriteLine($"token 5 at positions 1 and 2 (batch 0): same embedding, different inputs: {input[0, 1, 0]:F3} vs {input[0, 2, 0]:F3}");
Libtorch.Compare("embedding · √d + PE (index_select, sin and cos in torch)", "03.input", input);

Console.WriteLine("\nPE rows 0-3, first 8 dimensions (sin, cos pairs; frequency falls with the dimension):");
for (int p = 0; p < 4; p++)
    Console.WriteLine($"  pos {p}: " +
        string.Join(" ", Enumerable.Range(0, 8).Select(i => positions.Table[p, i].ToString("+0.000;-0.000"))));

Console.WriteLine("\nPE(p)·PE(q) by distance, for two different p (equal columns show it depends on distance only):");
var table = positions.Table;
foreach (int distance in new[] { 0, 1, 2, 4, 8, 16 })
{
    float Dot(int p) => table.Narrow(0, p, 1).MatMul(table.Narrow(0, p + distance, 1).Transpose(0, 1)).Item();
    Console.WriteLine($"  |p − q| = {distance,2}:  p = 3 → {Dot(3),6:F3}   p = 20 → {Dot(20),6:F3}");
}
