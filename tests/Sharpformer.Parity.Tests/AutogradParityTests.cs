using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// The backward engine on whole graphs built from many ops: a small causal self-attention block with a
/// layer norm, a GELU feed-forward layer and a cross-entropy loss, written once with each library's ops.
/// Inputs are reused along several paths (residuals), so gradients must be summed in the right order.
/// </summary>
public class AutogradParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AttentionBlockWithLoss(int seed)
    {
        var rng = new Random(seed);
        int b = rng.Next(1, 3), t = rng.Next(2, 6), d = 2 * rng.Next(1, 4), h = 2, vocab = rng.Next(3, 8);
        float scale = 1f / MathF.Sqrt(d / h);
        var causal = new float[t * t];
        for (int i = 0; i < t; i++)
            for (int j = i + 1; j < t; j++) causal[i * t + j] = 1;
        int[] targets = Enumerable.Range(0, b * t).Select(_ => rng.Next(vocab)).ToArray();

        Input[] inputs =
        [
            Input.Random(seed * 10 + 1, [b, t, d]),             // x
            Input.Random(seed * 10 + 2, [d, 3 * d], -0.5f, 0.5f), // W_qkv
            Input.Random(seed * 10 + 3, [d, d], -0.5f, 0.5f),     // W_o
            Input.Random(seed * 10 + 4, [d], 0.5f, 1.5f),         // layer-norm gain
            Input.Random(seed * 10 + 5, [d]),                     // layer-norm bias
            Input.Random(seed * 10 + 6, [d, 2 * d], -0.5f, 0.5f), // W_1
            Input.Random(seed * 10 + 7, [2 * d]),                 // b_1
            Input.Random(seed * 10 + 8, [2 * d, vocab], -0.5f, 0.5f), // W_out
        ];

        Tensor Ours(Tensor[] p)
        {
            var (x, wqkv, wo, gain, bias, w1, b1, wout) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
            var qkv = x.MatMul(wqkv).Split(d, -1);
            Tensor Heads(Tensor z) => z.Reshape(b, t, h, d / h).Transpose(1, 2);
            var scores = Heads(qkv[0]).MatMul(Heads(qkv[1]).Transpose(-1, -2)).Mul(scale)
                .MaskedFill(Tensor.FromArray(causal, t, t), -1e9f);
            var attended = scores.Softmax(-1).MatMul(Heads(qkv[2])).Transpose(1, 2).Reshape(b, t, d);
            var r = x.Add(attended.MatMul(wo));
            var centered = r.Sub(r.Mean(-1, keepDim: true));
            var normed = centered.Div(centered.Pow(2f).Mean(-1, keepDim: true).Add(1e-5f).Sqrt()).Mul(gain).Add(bias);
            var hidden = normed.MatMul(w1).Add(b1).Gelu();
            var logits = hidden.MatMul(wout).Reshape(b * t, vocab);
            var picked = logits.LogSoftmax(-1).Gather(1, Tensor.FromArray(targets.Select(i => (float)i).ToArray(), b * t, 1));
            return picked.Mean().Neg();
        }

        TorchTensor Theirs(TorchTensor[] p)
        {
            var (x, wqkv, wo, gain, bias, w1, b1, wout) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
            var qkv = torch.matmul(x, wqkv).split(d, -1);
            TorchTensor Heads(TorchTensor z) => z.reshape(b, t, h, d / h).transpose(1, 2);
            var scores = (torch.matmul(Heads(qkv[0]), Heads(qkv[1]).transpose(-1, -2)) * scale)
                .masked_fill(ToTorch(causal, [t, t]) != 0, -1e9);
            var attended = torch.matmul(scores.softmax(-1), Heads(qkv[2])).transpose(1, 2).reshape(b, t, d);
            var r = x + torch.matmul(attended, wo);
            var normed = torch.nn.functional.layer_norm(r, [d], eps: 1e-5) * gain + bias;
            var hidden = torch.nn.functional.gelu(torch.matmul(normed, w1) + b1);
            var logits = torch.matmul(hidden, wout).reshape(b * t, vocab);
            var loss = torch.nn.functional.cross_entropy(logits, ToTorch(targets.Select(i => (long)i).ToArray(), [b * t]));
            return loss;
        }

        Check("attention block + layer norm + GELU + cross entropy", seed, inputs, Ours, Theirs);
    }

    /// <summary>Two backward passes into the same leaves add up, as torch's .grad accumulation does.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void GradientsAccumulateAcrossBackwardCalls(int seed)
    {
        int[] shape = RandomShape(new Random(seed), 2);
        var a = Input.Random(seed, shape);
        // Two outputs of one input, each backpropagated on its own (CheckMany calls Backward per output).
        CheckMany("tanh(x) and x·x backpropagated one after the other", seed, [a],
            x => [x[0].Tanh(), x[0].Mul(x[0]).Sum(0)], x => [x[0].tanh(), (x[0] * x[0]).sum(0L, false)]);
    }
}
