using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// A low-rank adapter (LoRA, Hu et al. 2021) beside a frozen weight W: [out, in]: the layer computes
/// x·Wᵀ + (α/r)·dropout(x)·Aᵀ·Bᵀ with A: [r, in] and B: [out, r], so training changes W by ΔW = (α/r)·B·A
/// while holding r·(in + out) values instead of in·out. A starts as a Linear layer's default initialization
/// and B at zero, so a new adapter changes nothing. Parameter names follow PEFT's: <c>lora_A.weight</c>,
/// <c>lora_B.weight</c>.
/// </summary>
public sealed class LoraAdapter : Module
{
    private readonly Dropout _dropout;

    /// <summary>An adapter of rank <paramref name="rank"/> for a weight [out, in], scaled by α / r.</summary>
    public LoraAdapter(int inFeatures, int outFeatures, int rank, float alpha, float dropout, Rng rng)
    {
        if (rank < 1 || rank > Math.Min(inFeatures, outFeatures))
            throw new ArgumentOutOfRangeException(nameof(rank), rank,
                $"LoraAdapter: the rank must be in [1, {Math.Min(inFeatures, outFeatures)}] for a [{outFeatures}, {inFeatures}] weight");
        if (!(alpha > 0) || !float.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoraAdapter: alpha must be a finite number above 0");
        (InFeatures, OutFeatures, Rank, Alpha) = (inFeatures, outFeatures, rank, alpha);
        A = RegisterModule("lora_A", new Linear(inFeatures, rank, rng, bias: false));
        B = RegisterModule("lora_B", new Linear(rank, outFeatures, rng, bias: false));
        Init.Constant(B.Weight, 0f);
        _dropout = RegisterModule("lora_dropout", new Dropout(dropout, rng));
    }

    /// <summary>Input width of the adapted weight.</summary>
    public int InFeatures { get; }

    /// <summary>Output width of the adapted weight.</summary>
    public int OutFeatures { get; }

    /// <summary>The rank r.</summary>
    public int Rank { get; }

    /// <summary>α: the update is scaled by α / r.</summary>
    public float Alpha { get; }

    /// <summary>α / r.</summary>
    public float Scaling => Alpha / Rank;

    /// <summary>A: [r, in].</summary>
    public Linear A { get; }

    /// <summary>B: [out, r].</summary>
    public Linear B { get; }

    /// <summary>x: [..., in] → (α/r)·dropout(x)·Aᵀ·Bᵀ: [..., out], what the adapter adds to the layer's output.</summary>
    public Tensor Forward(Tensor x) => B.Forward(Down(x));

    /// <summary>x: [..., in] → u = (α/r)·dropout(x)·Aᵀ: [..., r], the adapter's first half (<see cref="Forward"/> is u·Bᵀ).</summary>
    public Tensor Down(Tensor x) => A.Forward(_dropout.Forward(x)) * Scaling;   // scaled at [..., r], not [..., out]

    /// <summary>ΔW = (α/r)·B·A: [out, in], what merging adds to the weight.</summary>
    public Tensor Delta() => B.Weight.MatMul(A.Weight) * Scaling;
}
