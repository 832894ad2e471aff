using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.ModuleParity;
using static TorchSharp.torch;
using SfLinear = Sharpformer.NN.Linear;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

#pragma warning disable IDE1006 // torch-style names: TorchSharp registers fields under their names

/// <summary>
/// A Linear layer with a LoRA adapter written with libtorch ops as the LoRA paper (and PEFT) define it:
/// y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ, W and b frozen.
/// </summary>
public sealed class TorchLoraLinear : nn.Module<TorchTensor, TorchTensor>
{
    private readonly TorchSharp.Modules.Parameter weight, bias;
    private readonly TorchSharp.Modules.Linear lora_A, lora_B;
    private readonly double _scaling;

    public TorchLoraLinear(long inFeatures, long outFeatures, long rank, double scaling) : base(nameof(TorchLoraLinear))
    {
        weight = new TorchSharp.Modules.Parameter(zeros(outFeatures, inFeatures), requires_grad: false);
        bias = new TorchSharp.Modules.Parameter(zeros(outFeatures), requires_grad: false);
        lora_A = nn.Linear(inFeatures, rank, hasBias: false);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false);
        _scaling = scaling;
        RegisterComponents();
    }

    public override TorchTensor forward(TorchTensor x) => nn.functional.linear(x, weight, bias) + lora_B.call(lora_A.call(x)) * _scaling;
}

/// <summary>
/// LoRA against libtorch: outputs, input gradients and the adapters' gradients, with the base weights frozen on both sides.
/// </summary>
public class LoraParityTests
{
    public static readonly TheoryData<int, int, float> Cases = new() { { 1, 2, 4f }, { 2, 3, 3f }, { 3, 4, 16f } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoraLinear(int seed, int rank, float alpha)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        int inF = rng.Next(5, 17), outF = rng.Next(5, 17);
        var ours = new SfLinear(inF, outF, new Rng((ulong)seed));
        ours.AttachLora(rank, alpha, dropout: 0f, new Rng((ulong)seed + 1));
        Perturb(ours, seed);                                          // B away from zero, so that the adapter counts
        var theirs = new TorchLoraLinear(inF, outF, rank, alpha / rank);
        CopyWeights(ours, theirs);
        var x = Leaf.Random("x", seed, [rng.Next(1, 4), rng.Next(1, 6), inF]);
        Verify($"LoRA Linear {inF}→{outF} r={rank} α={alpha}", seed, [new("y", ours.Forward(x.Ours), theirs.call(x.Theirs))],
            [x], ours, theirs);
    }

    [Fact]
    public void MergedWeightIsWPlusScaledBA()
    {
        using var scope = torch.NewDisposeScope();
        var ours = new SfLinear(7, 6, new Rng(5));
        var adapter = ours.AttachLora(rank: 3, alpha: 5f, dropout: 0f, new Rng(6));
        Perturb(ours, 5);
        TorchTensor T(Sharpformer.Tensors.Tensor t) => TorchOracle.ToTorch(t.ToArray(), t.ShapeArray(), float64: true);
        var expected = T(ours.Weight) + T(adapter.B.Weight).matmul(T(adapter.A.Weight)) * (5.0 / 3);
        ours.MergeLora();
        OpParity.AssertScaledClose(expected, ours.Weight.ToArray(), ours.Weight.ShapeArray(), 1e-6, 1e-6, "merged W");
        Assert.Null(ours.Lora);
    }
}
