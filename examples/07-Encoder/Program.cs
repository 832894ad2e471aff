// Week 7 mini project: an encoder of configurable depth.
// Usage: dotnet run --project examples/07-Encoder -- [layers=4] [pre|post=post]
// Stacks encoder layers, runs a padded batch through, and prints how the representation evolves layer
// by layer; then checks that padding positions have no effect on the other positions.
using Sharpformer.NN;
using Sharpformer.Tensors;

int depth = args.Length > 0 && int.TryParse(args[0], out int n) && n > 0 ? n : 4;
var placement = args.Length > 1 && args[1] == "pre" ? NormPlacement.Pre : NormPlacement.Post;
const int dModel = 32, heads = 4, dFF = 64;
var rng = new Rng(seed: 7);
var layers = Enumerable.Range(0, depth).Select(_ => new EncoderLayer(dModel, heads, dFF, 0f, ActivationKind.Relu, placement, rng)).ToList();
var encoder = new Encoder(layers, new LayerNorm(dModel));
Console.WriteLine($"{depth}-layer {placement}-norm encoder, {encoder.ParameterCount()} parameters");

var ids = Tensor.FromArray([4, 7, 1, 9, 3, 5, 2, 0, 0, 0], 2, 5);          // second sequence padded (id 0)
var x = Tensor.Normal([2, 5, dModel], rng);
var mask = AttentionMask.KeyPadding(ids, padId: 0);
var h = x;
for (int i = 0; i < depth; i++)
{
    var next = layers[i].Forward(h, mask).Output;
    float change = (next - h).Pow(2f).Mean().Sqrt().Item();
    Console.WriteLine($"  after layer {i}: rms change {change:F3}, similarity of tokens 0 and 1 (cosine) {Cosine(next, 0, 1):F3}");
    h = next;
}
var memory = encoder.Forward(x, mask);

// Changing the input at padded positions must not change real positions.
var altered = Tensor.Concat(
    [x.Narrow(0, 0, 1), Tensor.Concat([x.Narrow(0, 1, 1).Narrow(1, 0, 2), Tensor.Normal([1, 3, dModel], rng)], 1)], 0);
var memory2 = encoder.Forward(altered, mask);
float leak = (memory.Narrow(1, 0, 2) - memory2.Narrow(1, 0, 2)).Pow(2f).Sum().Item();
Console.WriteLine($"memory {Shapes.Format(memory.Shape)}; effect of padding content on real tokens: {leak:E1} (masked out)");
if (depth == 4 && placement == NormPlacement.Post)
    Libtorch.Compare("memory (torch.nn.TransformerEncoderLayer × 4, a final LayerNorm)", "07.memory", memory);
else
    Console.WriteLine("   libtorch's numbers are stored for the default 4 post-norm layers");

// Cosine similarity of two token vectors of the first sequence: x: [B, T, d_model].
static float Cosine(Tensor x, int a, int b)
{
    var u = x.Narrow(0, 0, 1).Narrow(1, a, 1).Flatten();
    var v = x.Narrow(0, 0, 1).Narrow(1, b, 1).Flatten();
    return u.MatMul(v).Item() / (u.MatMul(u).Sqrt().Item() * v.MatMul(v).Sqrt().Item());
}
