// Enhancement: long context. Tiled (flash) attention gives the same numbers as the attention that stores
// every probability, while holding memory that grows with T instead of T²; rotary positions (RoPE) make
// attention scores depend on the distance between two tokens only.
// Usage: dotnet run --project examples/13-LongContext -c Release -- [longest=2048]
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Autograd;
using Sharpformer.Kernels;
using Sharpformer.Tensors;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int longest = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2048;
const int Batch = 2, Heads = 4, HeadSize = 64;
int threads = Parallelism.Threads;

// 1. The same result: causal attention both ways, forward and gradients, on a length that is not a multiple of the tile.
var rng = new Rng(1);
int t = 300;
Tensor Leaf() => Tensor.Normal([Batch, Heads, t, HeadSize], rng).RequireGrad();
var (q, k, v) = (Leaf(), Leaf(), Leaf());
var upstream = Tensor.Normal([Batch, Heads, t, HeadSize], rng);
float[] Gradients(Tensor output)
{
    foreach (var x in new[] { q, k, v }) x.ZeroGrad();
    output.Backward(upstream);
    return [.. q.Grad!.ToArray(), .. k.Grad!.ToArray(), .. v.Grad!.ToArray()];
}
var causal = Sharpformer.NN.AttentionMask.Causal(t);
var stored = Tensor.Attention(q, k, v, causal.Additive).Output;
var tiled = Tensor.FlashAttention(q, k, v, causal: true);
float outputGap = MaxGap(stored.ToArray(), tiled.ToArray());
float gradientGap = MaxGap(Gradients(stored), Gradients(tiled));
Console.WriteLine($"1. causal attention, T = {t}: max |stored − tiled| = {outputGap:E1} (output), {gradientGap:E1} (gradients)");
// libtorch's scaled_dot_product_attention(is_causal) on the same inputs: the last 4 positions of the last head of the last sequence.
Libtorch.Compare("tiled, the last 4 queries of one head", "13.attention",
    tiled.Narrow(0, 1, 1).Narrow(1, 3, 1).Narrow(2, 296, 4).Reshape(4, 64));

// 2. Memory: what each op holds besides its inputs and output, and the time of forward + backward.
Console.WriteLine($"\n2. batch {Batch}, {Heads} heads of {HeadSize}, {threads} thread(s): bytes held (saved for backward + scratch)");
Console.WriteLine($"   {"T",6} {"tiled",10} {"stored",12} {"tiled ms",9} {"stored ms",10}");
for (int length = 256; length <= longest; length *= 2)
{
    var r = new Rng((ulong)length);
    Tensor L() => Tensor.Normal([Batch, Heads, length, HeadSize], r).RequireGrad();
    var (lq, lk, lv) = (L(), L(), L());
    var g = Tensor.Normal([Batch, Heads, length, HeadSize], r);
    var mask = Sharpformer.NN.AttentionMask.Causal(length).Additive;
    double Time(Func<Tensor> attend)
    {
        var clock = Stopwatch.StartNew();
        attend().Backward(g);
        return clock.Elapsed.TotalMilliseconds;
    }
    double tiledMs = Time(() => Tensor.FlashAttention(lq, lk, lv, causal: true));
    double storedMs = Time(() => Tensor.Attention(lq, lk, lv, mask).Output);
    Console.WriteLine($"   {length,6} {Megabytes(Tensor.FlashAttentionBytes(Batch, Heads, length, HeadSize, threads)),10} " +
                      $"{Megabytes(Tensor.AttentionBytes(Batch, Heads, length, length, false, threads)),12} " +
                      $"{tiledMs,9:F0} {storedMs,10:F0}");
}

// 3. RoPE: a query at position m and a key at position n score the same as at m + s and n + s.
var query = Tensor.Normal([1, HeadSize], new Rng(2));
var key = Tensor.Normal([1, HeadSize], new Rng(3));
float Score(int m, int n)
{
    using var _ = GradMode.NoGrad();
    return (query.Rope(0, m) * key.Rope(0, n)).Sum().Item();
}
Console.WriteLine("\n3. rotary positions: the score of a query at m and a key at n depends on m − n only");
foreach (var (m, n) in new[] { (5, 2), (105, 102), (1005, 1002), (5, 3) })
    Console.WriteLine($"   q at {m,4}, k at {n,4}: score {Score(m, n),9:F4}");

static float MaxGap(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

static string Megabytes(long bytes) => $"{bytes / 1048576.0:F2} MB";
