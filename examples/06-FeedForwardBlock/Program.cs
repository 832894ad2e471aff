// Week 6 mini project: the feed-forward block with GELU, layer normalization and a residual connection,
// in both placements: post-norm y = LN(x + FFN(x)) as the paper, pre-norm y = x + FFN(LN(x)).
// Prints the statistics that make each placement what it is.
using Sharpformer.NN;
using Sharpformer.Tensors;

const int dModel = 16, dFF = 64;
var rng = new Rng(seed: 6);
var ffn = new FeedForward(dModel, dFF, ActivationKind.Gelu, dropout: 0f, rng);
var norm = new LayerNorm(dModel);
var x = Tensor.Normal([4, 5, dModel], rng, mean: 3f, std: 4f);             // x: [B, T, d_model], far from normalized

var post = norm.Forward(x + ffn.Forward(x));
var pre = x + ffn.Forward(norm.Forward(x));
Console.WriteLine($"input      : {Stats(x)}");
Console.WriteLine($"LN(x)      : {Stats(norm.Forward(x))}   ← each vector normalized over its {dModel} features");
Console.WriteLine($"post-norm  : {Stats(post)}   ← output normalized; the residual path passes through LN");
Console.WriteLine($"pre-norm   : {Stats(pre)}   ← output keeps x's scale; the residual path is the identity");
Console.WriteLine($"FFN params : {ffn.ParameterCount()} (2·d_model·d_ff + d_ff + d_model = {2 * dModel * dFF + dFF + dModel})");

// In training the layers run post-norm's dropout, residual add and LN as one op ("Add & Norm"): the same numbers as the
// three ops one after another, bit for bit (each Dropout draws its mask's key from a generator seeded alike).
var sublayer = ffn.Forward(x);
var fused = norm.ForwardAdd(x, sublayer, new Dropout(0.1f, new Rng(7)));
var apart = norm.Forward(x + new Dropout(0.1f, new Rng(7)).Forward(sublayer));
bool same = fused.ToArray().SequenceEqual(apart.ToArray());
Console.WriteLine($"Add & Norm : LN(x + dropout(FFN(x))) as one op and as three: {(same ? "the same bits" : "different")}");
Libtorch.Compare("post-norm (linear, gelu, layer_norm in torch)", "06.post", post);
Libtorch.Compare("pre-norm", "06.pre", pre);

// Numerical stability: layer norm of huge or nearly constant vectors stays finite.
var huge = Tensor.Normal([1, dModel], rng, std: 1e6f) + 1e7f;
var flat = Tensor.Full([1, dModel], 5f);
Console.WriteLine($"LN of values ~1e7: {Stats(norm.Forward(huge))};  " +
                  $"LN of a constant vector: {Stats(norm.Forward(flat))} (eps keeps it finite)");

static string Stats(Tensor t)
{
    // mean and standard deviation of each last-dimension vector, averaged
    var rows = t.Reshape(-1, t.Size(-1));
    var mean = rows.Mean(1, keepDim: true);
    var std = (rows - mean).Pow(2f).Mean(1).Sqrt();
    return $"per-vector mean {mean.Mean().Item(),7:F3}, std {std.Mean().Item(),7:F3}";
}
