using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The libtorch numbers the examples print beside their own (examples/libtorch-numbers.json): each example's computation
/// rebuilt here from the same seeded inputs and weights, run by libtorch in float64, and compared with the file. Set
/// SHARPFORMER_WRITE_EXAMPLE_NUMBERS=1 to write the file instead. An example whose inputs drift from these would print
/// a large difference and fail (each checks its own tolerance), so the two cannot part silently.
/// </summary>
public sealed class ExampleNumbersTests
{
    [Fact]
    public void TheStoredNumbersAreLibtorchs()
    {
        using var scope = torch.NewDisposeScope();
        var computed = Compute();
        var stored = LibtorchNumbersFile.Sync(Path.Combine(RepositoryRoot(), "examples", "libtorch-numbers.json"),
            "SHARPFORMER_WRITE_EXAMPLE_NUMBERS", computed);
        Assert.Equal(computed.Keys.Order(), stored.Keys.Order());
        foreach (var (name, values) in computed)
        {
            Assert.Equal(values.Shape, stored[name].Shape);
            AssertClose(values.Data, [.. stored[name].Data.Select(v => (float)v)], 1e-6, 1e-7, name);
        }
    }

    private static Dictionary<string, Stored> Compute()
    {
        var numbers = new Dictionary<string, Stored>();
        LinearLayer(numbers);
        TwoLayerBackprop(numbers);
        EmbeddingPositional(numbers);
        SingleHeadAttention(numbers);
        MultiHeadAttention(numbers);
        FeedForwardBlock(numbers);
        InitialLoss(numbers);
        EncoderStack(numbers);
        DecoderStack(numbers);
        ParameterCounts(numbers);
        LongContext(numbers);
        Quantization(numbers);
        return numbers;
    }

    // Example 01: y = x·Wᵀ + b.
    private static void LinearLayer(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(1);
        float bound = 1f / MathF.Sqrt(4);
        var weight = Tensor.Uniform([5, 4], rng, -bound, bound);
        var bias = Tensor.Uniform([5], rng, -bound, bound);
        var x = Tensor.Normal([2, 3, 4], rng);
        numbers["01.y"] = Output(torch.nn.functional.linear(T(x), T(weight), T(bias)));
    }

    // Example 02: 300 steps of gradient descent on the two-layer network, the loss every 50 steps.
    private static void TwoLayerBackprop(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(7);
        var x = T(Tensor.Uniform([64, 2], rng, -1.5f, 1.5f));
        var target = torch.tanh(x[.., 0..1] * 2) + x[.., 1..2].pow(2);
        var w1 = T(Tensor.Normal([2, 16], rng, std: 0.5f)).requires_grad_();
        var b1 = torch.zeros(16, dtype: torch.ScalarType.Float64).requires_grad_();
        var w2 = T(Tensor.Normal([16, 1], rng, std: 0.5f)).requires_grad_();
        var b2 = torch.zeros(1, dtype: torch.ScalarType.Float64).requires_grad_();
        TorchTensor[] parameters = [w1, b1, w2, b2];
        var losses = new List<double>();
        for (int step = 0; step <= 300; step++)
        {
            var prediction = torch.tanh(x.matmul(w1) + b1).matmul(w2) + b2;
            var loss = (prediction - target).pow(2).mean();
            foreach (var p in parameters) p.grad?.zero_();
            loss.backward();
            if (step % 50 == 0) losses.Add(loss.item<double>());
            using (torch.no_grad())
                foreach (var p in parameters) p.sub_(p.grad! * 0.1);
        }
        numbers["02.loss"] = new([losses.Count], [.. losses]);
    }

    // Example 03: token embeddings · √d plus the sinusoidal table.
    private static void EmbeddingPositional(Dictionary<string, Stored> numbers)
    {
        var embedding = new Embedding(10, 16, new Rng(3));
        var ids = torch.tensor(new long[] { 1, 5, 5, 2, 7, 0 });
        var embedded = T(embedding.Weight).index_select(0, ids).reshape(2, 3, 16) * Math.Sqrt(16);
        numbers["03.input"] = Output(embedded + TorchPositionalTable(64, 16)[..3].unsqueeze(0));
    }

    // Example 04: one head's weights and output, without a mask and with the causal one.
    private static void SingleHeadAttention(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(4);
        var x = T(Tensor.Normal([1, 5, 8], rng));
        var projections = Enumerable.Range(0, 3).Select(_ => new Linear(8, 8, rng)).ToArray();
        var (q, k, v) = (Project(x, projections[0]), Project(x, projections[1]), Project(x, projections[2]));
        foreach (var (name, causal) in new[] { ("none", false), ("causal", true) })
        {
            var scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(8);
            if (causal) scores = scores + TorchCausal(5);
            var weights = torch.softmax(scores, -1);
            numbers[$"04.weights.{name}"] = Output(weights);
            numbers[$"04.output.{name}"] = Output(weights.matmul(v));
        }
    }

    // Example 05: self-attention with 1, 2, 4 and 8 heads, through torch.nn.MultiheadAttention.
    private static void MultiHeadAttention(Dictionary<string, Stored> numbers)
    {
        var x = T(Tensor.Normal([2, 6, 32], new Rng(5))).transpose(0, 1);      // sequence-first for libtorch
        foreach (int heads in new[] { 1, 2, 4, 8 })
        {
            var ours = new Sharpformer.NN.MultiHeadAttention(32, heads, 0f, new Rng(6));
            var theirs = torch.nn.MultiheadAttention(32, heads, 0.0);
            CopyWeights(ours, theirs);
            numbers[$"05.output.heads{heads}"] = Output(theirs.call(x, x, x, null, false, null).Item1.transpose(0, 1));
        }
    }

    // Example 06: the GELU feed-forward block with a layer norm, post-norm and pre-norm.
    private static void FeedForwardBlock(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(6);
        var ffn = new FeedForward(16, 64, ActivationKind.Gelu, 0f, rng);
        var x = T(Tensor.Normal([4, 5, 16], rng, mean: 3f, std: 4f));
        TorchTensor Ffn(TorchTensor h) => Project(torch.nn.functional.gelu(Project(h, ffn.Linear1)), ffn.Linear2);
        TorchTensor Norm(TorchTensor h) => torch.nn.functional.layer_norm(h, [16], eps: 1e-5);
        numbers["06.post"] = Output(Norm(x + Ffn(x)));
        numbers["06.pre"] = Output(x + Ffn(Norm(x)));
    }

    // Example 07 (default arguments): four post-norm ReLU encoder layers and a final norm over a padded batch.
    private static void EncoderStack(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(7);
        var layers = Enumerable.Range(0, 4)
            .Select(_ => new Sharpformer.NN.EncoderLayer(32, 4, 64, 0f, ActivationKind.Relu, NormPlacement.Post, rng)).ToList();
        var ours = new Encoder(layers, new Sharpformer.NN.LayerNorm(32));
        var theirs = new TorchEncoderStack(Enumerable.Range(0, 4)
                .Select(_ => (torch.nn.Module)torch.nn.TransformerEncoderLayer(32, 4, 64, 0.0, torch.nn.Activations.ReLU)),
            torch.nn.LayerNorm(32));
        CopyWeights(ours, theirs);
        int[] ids = [4, 7, 1, 9, 3, 5, 2, 0, 0, 0];
        var x = T(Tensor.Normal([2, 5, 32], rng));
        numbers["07.memory"] = Output(theirs.call(x.transpose(0, 1), null!, TorchPadding(ids, 2, 5)).transpose(0, 1));
    }

    // Example 08: two post-norm GELU decoder layers and a final norm, causal self-attention over a memory.
    private static void DecoderStack(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(8);
        var ours = new Decoder(Enumerable.Range(0, 2)
            .Select(_ => new Sharpformer.NN.DecoderLayer(32, 4, 64, 0f, ActivationKind.Gelu, NormPlacement.Post, rng)).ToList(),
            new Sharpformer.NN.LayerNorm(32));
        var theirs = new TorchDecoderStack(Enumerable.Range(0, 2)
            .Select(_ => torch.nn.TransformerDecoderLayer(32, 4, 64, 0.0, torch.nn.Activations.GELU)), torch.nn.LayerNorm(32));
        CopyWeights(ours, theirs);
        var memory = T(Tensor.Normal([1, 7, 32], rng)).transpose(0, 1);
        var target = T(Tensor.Normal([1, 6, 32], rng)).transpose(0, 1);
        numbers["08.output"] = Output(theirs.call(target, memory, TorchCausal(6), null!, null!, null!).transpose(0, 1));
    }

    // Example 09: before any update, the label-smoothed loss of the first validation batch in eval mode, through the same
    // model built from torch.nn.Transformer (post-norm, ReLU, one embedding table for both sides, its own output layer).
    private static void InitialLoss(Dictionary<string, Stored> numbers)
    {
        var task = new Sharpformer.Data.ToyTask(Sharpformer.Data.ToyTaskKind.Reverse, vocab: 20, minLength: 4, maxLength: 10);
        var config = TransformerConfig.Tiny(task.Vocab) with { MaxLength = 32 };
        var ours = new Sharpformer.NN.Transformer(config, new Rng(9));
        var batch = Sharpformer.Data.ToyTaskBatches.Fixed(task, batchSize: 64, count: 2, seed: 11)[0];

        var embedding = torch.nn.Embedding(config.SourceVocab, config.DModel);
        var core = torch.nn.Transformer(config.DModel, config.Heads, config.EncoderLayers, config.DecoderLayers,
            config.DimFeedForward, 0.0);
        var theirs = new TorchSeq2Seq(embedding, null, core, (src, tgt, tm, sp, tp) => core.call(src, tgt, null!, tm, null!, sp, tp, sp),
            torch.nn.Linear(config.DModel, config.TargetVocab), TorchPositionalTable(config.MaxLength, config.DModel), config.DModel);
        CopyWeights(ours, theirs, name => name == "tgt_embed.weight" ? "src_embed.weight" : name);
        theirs.eval();
        TorchTensor Ids(Tensor ids) => ToTorch(ids.ToArray().Select(v => (long)v).ToArray(), ids.ShapeArray());
        var logits = theirs.Logits(Ids(batch.Source), Ids(batch.TargetInput));
        var loss = torch.nn.functional.cross_entropy(logits.reshape(-1, config.TargetVocab), Ids(batch.TargetOutput).reshape(-1),
            ignore_index: 0, label_smoothing: 0.1);
        numbers["09.initial_loss"] = new([1], [loss.item<double>()]);
    }

    // Example 10: the parameters of the same models built from torch.nn.Transformer, the embedding table(s) and the output layer.
    private static void ParameterCounts(Dictionary<string, Stored> numbers)
    {
        foreach (var (name, config) in new[] { ("small", TransformerConfig.Small(1000)), ("big", TransformerConfig.Big()) })
        {
            var transformer = torch.nn.Transformer(config.DModel, config.Heads, config.EncoderLayers, config.DecoderLayers,
                config.DimFeedForward, 0.0);
            long table = (long)config.TargetVocab * config.DModel;
            long count = transformer.parameters().Sum(p => p.numel())
                + (config.ShareEmbeddings ? table : 2 * table)          // one embedding table shared by both sides, or two
                + (config.TieOutput ? 0 : table) + config.TargetVocab;  // the generator's weight unless tied, and its bias
            numbers[$"10.parameters.{name}"] = new([1], [count]);
        }
    }

    // Example 13: causal attention over 300 positions, as torch's scaled_dot_product_attention computes it; stored: the
    // last 4 positions of the last head of the last sequence, which attend to all 300 keys.
    private static void LongContext(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(1);
        var (q, k, v) = (Tensor.Normal([2, 4, 300, 64], rng), Tensor.Normal([2, 4, 300, 64], rng), Tensor.Normal([2, 4, 300, 64], rng));
        var output = torch.nn.functional.scaled_dot_product_attention(T(q), T(k), T(v), null!, 0.0, true);
        numbers["13.attention"] = Output(output[1, 3, 296..300]);
    }

    // Example 14: symmetric int8 with a scale per row, written with torch ops (TorchSharp has no quantize_per_channel):
    // scale = max |row| / 127, q = round(w / scale), w' = q·scale; stored: the five rows the example prints.
    private static void Quantization(Dictionary<string, Stored> numbers)
    {
        var rng = new Rng(1);
        const int rows = 64, columns = 256;
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            float size = MathF.Pow(10, -2 + 2f * r / (rows - 1));
            for (int c = 0; c < columns; c++) values[r * columns + c] = size * (2 * rng.NextFloat() - 1);
        }
        var w = ToTorch(values, [rows, columns], float64: true);
        var scale = w.abs().amax([1], keepdim: true) / 127;
        var roundTrip = torch.round(w / scale).clamp(-127, 127) * scale;
        numbers["14.round_trip"] = Output(roundTrip.index_select(0, torch.tensor(new long[] { 0, 16, 32, 48, 63 })));
    }

    // x·Wᵀ + b with a Sharpformer Linear's weights.
    private static TorchTensor Project(TorchTensor x, Linear linear) =>
        torch.nn.functional.linear(x, T(linear.Weight), linear.Bias is null ? null : T(linear.Bias));

    private static TorchTensor T(Tensor t) => ToTorch(t.ToArray(), t.ShapeArray(), float64: true);

    private static Stored Output(TorchTensor t) => new(ShapeOf(t), ToDoubles(t));

    private sealed record Stored(int[] Shape, double[] Data);
}
