using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The PyTorch numbers the exercise graders read (exercises/Sharpformer.Exercises.Tests/pytorch-numbers.json): every
/// output is recomputed here with libtorch, in float64, from the same seeded inputs, and must match the file. Set
/// SHARPFORMER_WRITE_EXERCISE_NUMBERS=1 to write the file instead.
/// </summary>
public sealed class ExerciseNumbersTests
{
    [Fact]
    public void TheStoredNumbersAreLibtorchs()
    {
        var computed = Compute();
        string path = Path.Combine(RepositoryRoot(), "exercises", "Sharpformer.Exercises.Tests", "pytorch-numbers.json");
        var stored = LibtorchNumbersFile.Sync(path, "SHARPFORMER_WRITE_EXERCISE_NUMBERS", computed);
        Assert.Equal(computed.Keys.Order(), stored.Keys.Order());
        foreach (var (entry, tensors) in computed)
        {
            Assert.Equal(tensors.Keys.Order(), stored[entry].Keys.Order());
            foreach (var (name, tensor) in tensors)
            {
                Assert.Equal(tensor.Shape, stored[entry][name].Shape);
                AssertClose([.. tensor.Data.Select(v => (double)v)], stored[entry][name].Data, 1e-6, 1e-7, $"{entry}.{name}");
            }
        }
    }

    private static Dictionary<string, Dictionary<string, Stored>> Compute() => new()
    {
        ["week01.matmul"] = MatMul(),
        ["week02.matmul"] = MatMulBackward(),
        ["week02.softmax"] = SoftmaxBackward(),
        ["week03.positional"] = Positional(6, 8),
        ["week03.embedding"] = EmbeddingBackward(),
        ["week04.attention"] = Attention(4, 6, 8, 3, causal: false, seed: 40),
        ["week04.causal"] = Attention(5, 5, 8, 4, causal: true, seed: 50),
        ["week05.self_attention"] = SelfAttention(tokens: 5, model: 8, heads: 2),
        ["week06.layernorm"] = LayerNorm(),
        ["week09.cross_entropy"] = CrossEntropy(),
        ["week09.adamw"] = AdamW(),
    };

    private static Dictionary<string, Stored> MatMul()
    {
        var (a, b) = (Input([3, 5], 10), Input([5, 4], 11));
        return new() { ["a"] = a, ["b"] = b, ["out"] = Output(torch.matmul(a.Torch(), b.Torch())) };
    }

    private static Dictionary<string, Stored> MatMulBackward()
    {
        var (a, b, g) = (Input([3, 4], 20), Input([4, 2], 21), Input([3, 2], 22));
        var (ta, tb) = (a.Torch(requiresGrad: true), b.Torch(requiresGrad: true));
        (torch.matmul(ta, tb) * g.Torch()).sum().backward();
        return new() { ["a"] = a, ["b"] = b, ["grad_out"] = g, ["grad_a"] = Output(ta.grad!), ["grad_b"] = Output(tb.grad!) };
    }

    private static Dictionary<string, Stored> SoftmaxBackward()
    {
        var (x, g) = (Input([3, 5], 30), Input([3, 5], 31));
        var tx = x.Torch(requiresGrad: true);
        var y = tx.softmax(-1);
        (y * g.Torch()).sum().backward();
        return new() { ["x"] = x, ["grad_out"] = g, ["y"] = Output(y), ["grad_x"] = Output(tx.grad!) };
    }

    // The paper's formula in torch: sin on even columns, cos on odd ones.
    private static Dictionary<string, Stored> Positional(int length, int dim)
    {
        var position = torch.arange(length, dtype: torch.ScalarType.Float64).unsqueeze(1);                  // [T, 1]
        var pair = torch.arange(0, dim, 2, dtype: torch.ScalarType.Float64);                                 // [dim/2]
        var angle = position / torch.exp(pair / dim * Math.Log(10000.0));                                    // [T, dim/2]
        var pe = torch.stack([torch.sin(angle), torch.cos(angle)], dim: 2).reshape(length, dim);           // interleaved
        return new() { ["pe"] = Output(pe) };
    }

    private static Dictionary<string, Stored> EmbeddingBackward()
    {
        float[] ids = [3, 0, 3, 4, 3, 1];
        var g = Input([ids.Length, 3], 32);
        var table = torch.zeros([5, 3], dtype: torch.ScalarType.Float64, requires_grad: true);
        var looked = table.index_select(0, ToTorch([.. ids.Select(v => (long)v)], [ids.Length]));    // an embedding lookup
        (looked * g.Torch()).sum().backward();
        return new() { ["ids"] = new Stored([ids.Length], ids), ["grad_out"] = g, ["grad_table"] = Output(table.grad!) };
    }

    private static Dictionary<string, Stored> Attention(int queries, int keys, int d, int dv, bool causal, ulong seed)
    {
        var (q, k, v) = (Input([queries, d], seed), Input([keys, d], seed + 1), Input([keys, dv], seed + 2));
        var (tq, tk, tv) = (q.Torch(), k.Torch(), v.Torch());
        var output = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, null, 0.0, causal);
        var scores = torch.matmul(tq, tk.transpose(0, 1)) / Math.Sqrt(d);
        if (causal) scores = scores.masked_fill(torch.ones([queries, keys], dtype: torch.ScalarType.Bool).triu(1), double.NegativeInfinity);
        return new() { ["q"] = q, ["k"] = k, ["v"] = v, ["out"] = Output(output), ["weights"] = Output(scores.softmax(-1)) };
    }

    // Multi-head self-attention without biases: torch's projections, heads by reshape, scaled_dot_product_attention.
    private static Dictionary<string, Stored> SelfAttention(int tokens, int model, int heads)
    {
        int headSize = model / heads;
        var x = Input([tokens, model], 55);
        var w = Enumerable.Range(0, 4).Select(i => Input([model, model], 56 + (ulong)i)).ToArray();
        var tx = x.Torch();
        TorchTensor Project(Stored weight) =>
            torch.matmul(tx, weight.Torch().t()).reshape(tokens, heads, headSize).permute(1, 0, 2);        // [H, T, d]
        var heads3 = torch.nn.functional.scaled_dot_product_attention(Project(w[0]), Project(w[1]), Project(w[2]));
        var output = torch.matmul(heads3.permute(1, 0, 2).reshape(tokens, model), w[3].Torch().t());
        return new()
        {
            ["x"] = x, ["wq"] = w[0], ["wk"] = w[1], ["wv"] = w[2], ["wo"] = w[3], ["heads"] = new([1], [heads]),
            ["out"] = Output(output),
        };
    }

    private static Dictionary<string, Stored> LayerNorm()
    {
        var (x, gamma, beta, g) = (Input([3, 6], 60), Input([6], 61), Input([6], 62), Input([3, 6], 63));
        var (tx, tg, tb) = (x.Torch(requiresGrad: true), gamma.Torch(requiresGrad: true), beta.Torch(requiresGrad: true));
        var y = torch.nn.functional.layer_norm(tx, [6], tg, tb, eps: 1e-5);
        (y * g.Torch()).sum().backward();
        return new()
        {
            ["x"] = x, ["gamma"] = gamma, ["beta"] = beta, ["grad_out"] = g, ["out"] = Output(y),
            ["grad_x"] = Output(tx.grad!), ["grad_gamma"] = Output(tg.grad!), ["grad_beta"] = Output(tb.grad!),
        };
    }

    private static Dictionary<string, Stored> CrossEntropy()
    {
        var logits = Input([4, 7], 70);
        float[] targets = [2, 0, 6, 2];
        var loss = torch.nn.functional.cross_entropy(logits.Torch(), ToTorch([.. targets.Select(t => (long)t)], [4]), label_smoothing: 0.1);
        return new()
        {
            ["logits"] = logits, ["targets"] = new([4], targets), ["smoothing"] = new([1], [0.1f]), ["loss"] = Output(loss.reshape(1)),
        };
    }

    // torch.optim.AdamW in float32 from the same start, fed the stored gradients one step each.
    private static Dictionary<string, Stored> AdamW()
    {
        float[] settings = [0.05f, 0.9f, 0.98f, 1e-9f, 0.1f];    // lr, β₁, β₂, ε, λ
        var (initial, gradients) = (Input([5], 80), Input([4, 5], 81));
        var parameter = torch.nn.Parameter(ToTorch(initial.Data, [5]));
        var optimizer = torch.optim.AdamW([parameter], settings[0], beta1: settings[1], beta2: settings[2], eps: settings[3],
            weight_decay: settings[4]);
        for (int step = 0; step < 4; step++)
        {
            parameter.grad = ToTorch(gradients.Data.AsSpan(step * 5, 5).ToArray(), [5]);
            optimizer.step();
        }
        return new()
        {
            ["initial"] = initial, ["gradients"] = gradients, ["settings"] = new([5], settings), ["out"] = Output(parameter),
        };
    }

    // Seeded inputs from Sharpformer's generator (N(0, 1)), stored as float32.
    private static Stored Input(int[] shape, ulong seed) => new(shape, Tensor.Normal(shape, new Rng(seed)).ToArray());

    private static Stored Output(TorchTensor t) => new(ShapeOf(t), ToFloats(t));

    /// <summary>A tensor as the file holds it: its shape and float32 values.</summary>
    private sealed record Stored(int[] Shape, float[] Data)
    {
        public TorchTensor Torch(bool requiresGrad = false) => ToTorch(Data, Shape, float64: true, requiresGrad: requiresGrad);
    }
}
