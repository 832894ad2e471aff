// Week 1 mini project: a linear layer's forward pass, y = x·Wᵀ + b.
// Shows broadcasting (the bias is added to every row) and the batched matrix product
// (a [batch, tokens, features] input times a 2-D weight), then checks one output by hand.
using Sharpformer.Tensors;

var rng = new Rng(seed: 1);
const int batch = 2, tokens = 3, inFeatures = 4, outFeatures = 5;

// PyTorch's default init for nn.Linear: U(−1/√in, 1/√in) for weight and bias.
float bound = 1f / MathF.Sqrt(inFeatures);
var weight = Tensor.Uniform([outFeatures, inFeatures], rng, -bound, bound); // W: [out, in]
var bias = Tensor.Uniform([outFeatures], rng, -bound, bound);               // b: [out]
var x = Tensor.Normal([batch, tokens, inFeatures], rng);                     // x: [B, T, in]

var y = x.MatMul(weight.Transpose(0, 1)) + bias;                             // y: [B, T, out]
Console.WriteLine($"x: {x}\nW: {weight}\nb: {bias}\ny = x·Wᵀ + b: {y}");

// The same element by hand: y[1, 2, 3] = Σ_i x[1, 2, i]·W[3, i] + b[3].
float byHand = bias[3];
for (int i = 0; i < inFeatures; i++) byHand += x[1, 2, i] * weight[3, i];
Console.WriteLine($"y[1, 2, 3] = {y[1, 2, 3]:F6}; by hand: {byHand:F6}; libtorch: {Libtorch.Values("01.y")[1 * 15 + 2 * 5 + 3]:F6}");
if (MathF.Abs(byHand - y[1, 2, 3]) > 1e-5f) throw new InvalidOperationException("the forward pass disagrees with the hand computation");
Libtorch.Compare("y = x·Wᵀ + b (torch.nn.functional.linear)", "01.y", y);
