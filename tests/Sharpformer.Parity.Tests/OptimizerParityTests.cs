using Sharpformer.Optim;
using Sharpformer.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.TorchOracle;
using Parameter = TorchSharp.Modules.Parameter;
using TS = TorchSharp.Modules;
using TorchOptimizer = TorchSharp.torch.optim.Optimizer;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Sgd and Adam(W) against torch.optim.SGD / Adam / AdamW: both start from the same float32 parameters
/// and receive the same 20 gradients; after every step the parameters must agree to about 1e-6.
/// Both sides compute in float32, so the comparison is between two float32 implementations of the same
/// formulas (the only differences left are the order of float operations and where a double scalar is
/// rounded to float).
/// </summary>
public class OptimizerParityTests(ITestOutputHelper output)
{
    const int Steps = 20;

    /// <summary>
    /// |ours − torch| ≤ Atol·max(1, max|p|) + Rtol·|p| per element, p the torch parameter: a few float32
    /// roundings of the largest element (torch fuses p + α·g into one rounding, we round α·g first).
    /// </summary>
    const double Rtol = 1e-6, Atol = 1e-6;

    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3 };

    /// <summary>Two groups of parameters of different ranks (weights; biases and a gain).</summary>
    static readonly int[][][] Layout = [[[4, 3], [2, 3, 2]], [[5], [1]]];

    // ---- SGD ----------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdPlain(int seed) => Run("SGD", seed,
        g => new Sgd(Ours(g), lr: 0.1f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.1));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdMomentum(int seed) => Run("SGD momentum 0.9", seed,
        g => new Sgd(Ours(g), lr: 0.05f, momentum: 0.9f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.05, momentum: 0.9));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdMomentumDampening(int seed) => Run("SGD momentum 0.9 dampening 0.3", seed,
        g => new Sgd(Ours(g), lr: 0.05f, momentum: 0.9f, dampening: 0.3f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.05, momentum: 0.9, dampening: 0.3));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdNesterov(int seed) => Run("SGD Nesterov 0.8", seed,
        g => new Sgd(Ours(g), lr: 0.05f, momentum: 0.8f, nesterov: true),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.05, momentum: 0.8, nesterov: true));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdWeightDecay(int seed) => Run("SGD momentum 0.9 weight decay 0.01", seed,
        g => new Sgd(Ours(g), lr: 0.05f, momentum: 0.9f, weightDecay: 0.01f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.05, momentum: 0.9, weight_decay: 0.01));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdWeightDecayNoMomentum(int seed) => Run("SGD weight decay 0.1", seed,
        g => new Sgd(Ours(g), lr: 0.1f, weightDecay: 0.1f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.1, weight_decay: 0.1));

    // ---- Adam and AdamW -----------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamDefaults(int seed) => Run("Adam defaults", seed,
        g => new Adam(Ours(g), lr: 1e-2f),
        g => torch.optim.Adam(Theirs<TS.Adam.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.999));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamTransformerBetas(int seed) => Run("Adam betas (0.9, 0.98) eps 1e-9", seed,
        g => new Adam(Ours(g), lr: 1e-2f, beta1: 0.9f, beta2: 0.98f, eps: 1e-9f),
        g => torch.optim.Adam(Theirs<TS.Adam.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.98, eps: 1e-9));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamL2WeightDecay(int seed) => Run("Adam weight decay 0.1 (L2)", seed,
        g => new Adam(Ours(g), lr: 1e-2f, weightDecay: 0.1f),
        g => torch.optim.Adam(Theirs<TS.Adam.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.1));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamWWeightDecay(int seed) => Run("AdamW weight decay 0.1", seed,
        g => Adam.AdamW([new ParameterGroup(Ours(g))], lr: 1e-2f, weightDecay: 0.1f),
        g => torch.optim.AdamW(Theirs<TS.AdamW.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.1));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamWDefaultDecay(int seed) => Run("AdamW default weight decay 0.01, betas (0.9, 0.98), eps 1e-9", seed,
        g => Adam.AdamW([new ParameterGroup(Ours(g))], lr: 1e-2f, beta2: 0.98f, eps: 1e-9f),
        g => torch.optim.AdamW(Theirs<TS.AdamW.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.98, eps: 1e-9, weight_decay: 0.01));

    // ---- parameter groups ---------------------------------------------------------------------------

    // Ours: ParameterGroup(weightDecay, lrScale) with the optimizer's Lr; torch: per-group lr = Lr·scale and
    // weight_decay. The second group (biases and gains) gets no weight decay and half the learning rate.

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdParameterGroups(int seed) => Run("SGD groups (wd 0.05 | wd 0, lr×0.5)", seed,
        g => new Sgd([new ParameterGroup(g[0]), new ParameterGroup(g[1], weightDecay: 0f, lrScale: 0.5f)],
            lr: 0.05f, momentum: 0.9f, weightDecay: 0.05f),
        g => torch.optim.SGD(
            [new TS.SGD.ParamGroup(g[0], new TS.SGD.Options { LearningRate = 0.05 }),
             new TS.SGD.ParamGroup(g[1], new TS.SGD.Options { LearningRate = 0.025, weight_decay = 0 })],
            0.05, momentum: 0.9, weight_decay: 0.05));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamParameterGroups(int seed) => Run("Adam groups (wd 0.1 | wd 0, lr×0.5)", seed,
        g => new Adam([new ParameterGroup(g[0]), new ParameterGroup(g[1], weightDecay: 0f, lrScale: 0.5f)], lr: 1e-2f, weightDecay: 0.1f),
        g => torch.optim.Adam(
            [new TS.Adam.ParamGroup(g[0], new TS.Adam.Options { LearningRate = 1e-2 }),
             new TS.Adam.ParamGroup(g[1], new TS.Adam.Options { LearningRate = 5e-3, weight_decay = 0 })],
            1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.1));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamWParameterGroups(int seed) => Run("AdamW groups (wd 0.1 | wd 0, lr×2)", seed,
        g => Adam.AdamW([new ParameterGroup(g[0]), new ParameterGroup(g[1], weightDecay: 0f, lrScale: 2f)], lr: 1e-2f, weightDecay: 0.1f),
        g => torch.optim.AdamW(
            [new TS.AdamW.ParamGroup(g[0], new TS.AdamW.Options { LearningRate = 1e-2 }),
             new TS.AdamW.ParamGroup(g[1], new TS.AdamW.Options { LearningRate = 2e-2, weight_decay = 0 })],
            1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.1));

    // ---- learning rate changed between steps --------------------------------------------------------

    /// <summary>The paper's schedule (scaled up so the updates are visible) sets the rate before every step.</summary>
    static float ScheduledLr(int step) => LearningRateSchedule.Noam(dModel: 16, warmup: 5, factor: 2f).At(step);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdLrChangedEveryStep(int seed) => Run("SGD momentum, Noam lr, groups", seed,
        g => new Sgd([new ParameterGroup(g[0]), new ParameterGroup(g[1], weightDecay: 0f, lrScale: 0.5f)],
            lr: 1f, momentum: 0.9f, weightDecay: 0.05f),
        g => torch.optim.SGD(
            [new TS.SGD.ParamGroup(g[0], new TS.SGD.Options()), new TS.SGD.ParamGroup(g[1], new TS.SGD.Options { weight_decay = 0 })],
            1.0, momentum: 0.9, weight_decay: 0.05),
        lrAt: ScheduledLr, lrScales: [1f, 0.5f]);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamLrChangedEveryStep(int seed) => Run("Adam (0.9, 0.98, 1e-9), Noam lr, gradients by backward", seed,
        g => new Adam(Ours(g), lr: 1f, beta1: 0.9f, beta2: 0.98f, eps: 1e-9f),
        g => torch.optim.Adam(Theirs<TS.Adam.ParamGroup>(g), 1.0, beta1: 0.9, beta2: 0.98, eps: 1e-9),
        lrAt: ScheduledLr, viaBackward: true);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamWLrChangedEveryStep(int seed) => Run("AdamW groups, Noam lr, gradients by backward", seed,
        g => Adam.AdamW([new ParameterGroup(g[0]), new ParameterGroup(g[1], weightDecay: 0f, lrScale: 0.5f)], lr: 1f, weightDecay: 0.1f),
        g => torch.optim.AdamW(
            [new TS.AdamW.ParamGroup(g[0], new TS.AdamW.Options()),
             new TS.AdamW.ParamGroup(g[1], new TS.AdamW.Options { weight_decay = 0 })],
            1.0, beta1: 0.9, beta2: 0.999, weight_decay: 0.1),
        lrAt: ScheduledLr, lrScales: [1f, 0.5f], viaBackward: true);

    // ---- parameters without a gradient on some steps ------------------------------------------------

    // torch.optim skips a parameter whose .grad is None and keeps its state per parameter: Adam's step
    // count t (bias correction) counts only the steps on which that parameter had a gradient, and SGD's
    // momentum buffer starts as the first gradient the parameter receives. The second tensor below gets
    // no gradient on steps 0–2 and on step 10; the others get one every step.
    // Ours keeps one StepCount for the whole optimizer: Adam's bias correction for that tensor uses t = 4
    // on its first update (torch: t = 1), so its first step is about 0.58·lr instead of lr; Sgd's "first
    // step" test is StepCount == 1, so its buffer starts at (1 − dampening)·d instead of d.

    static bool SometimesNoGrad(int step, int tensor) => tensor != 1 || !(step < 3 || step == 10);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AdamSkipsParametersWithoutGradient(int seed) => Run("Adam, a parameter without gradient on steps 0-2 and 10", seed,
        g => new Adam(Ours(g), lr: 1e-2f, weightDecay: 0.1f),
        g => torch.optim.Adam(Theirs<TS.Adam.ParamGroup>(g), 1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.1),
        hasGrad: SometimesNoGrad);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SgdSkipsParametersWithoutGradient(int seed) => Run("SGD dampening, a parameter without gradient on steps 0-2 and 10", seed,
        g => new Sgd(Ours(g), lr: 0.05f, momentum: 0.9f, dampening: 0.3f, weightDecay: 0.01f),
        g => torch.optim.SGD(Theirs<TS.SGD.ParamGroup>(g), 0.05, momentum: 0.9, dampening: 0.3, weight_decay: 0.01),
        hasGrad: SometimesNoGrad);

    // ---- harness ------------------------------------------------------------------------------------

    /// <summary>All tensors in one group (ours).</summary>
    static IEnumerable<Tensor> Ours(List<Tensor[]> groups) => groups.SelectMany(g => g);

    /// <summary>
    /// All parameters in one torch param group of type <typeparamref name="TGroup"/>, which takes the optimizer's
    /// defaults.
    /// </summary>
    static TGroup[] Theirs<TGroup>(List<Parameter[]> groups) where TGroup : TS.ParamGroup, new() =>
        [new TGroup { Parameters = groups.SelectMany(g => g).ToArray() }];

    /// <summary>
    /// Builds the parameters of <see cref="Layout"/> from <paramref name="seed"/>, then for 20 steps gives
    /// both sides the same gradient G (uniform in [−1, 1], times a per-tensor scale from 1e-3 to 10 so Adam's
    /// denominators differ) and compares every parameter after every step. With <paramref name="lrAt"/>
    /// the optimizers' rate is set before each step (torch: each group's lr = rate·scale). With
    /// <paramref name="viaBackward"/> our gradient comes from backpropagating Σ p·G after ZeroGrad,
    /// otherwise it is assigned directly; torch's .grad is always assigned.
    /// </summary>
    void Run(string what, int seed,
        Func<List<Tensor[]>, Optimizer> makeOurs,
        Func<List<Parameter[]>, TorchOptimizer> makeTheirs,
        Func<int, float>? lrAt = null, float[]? lrScales = null, bool viaBackward = false,
        Func<int, int, bool>? hasGrad = null)
    {
        using var scope = torch.NewDisposeScope();
        var shapes = Layout.SelectMany(g => g).ToArray();
        var ours = new List<Tensor[]>();
        var theirs = new List<Parameter[]>();
        int k = 0;
        foreach (var group in Layout)
        {
            var o = new Tensor[group.Length];
            var t = new Parameter[group.Length];
            for (int i = 0; i < group.Length; i++, k++)
            {
                float[] init = RandomFloats(seed * 100 + k, Count(group[i]));
                o[i] = Tensor.FromArray(init, group[i]).RequireGrad();
                t[i] = torch.nn.Parameter(ToTorch(init, group[i]));
            }
            ours.Add(o);
            theirs.Add(t);
        }
        var flatOurs = ours.SelectMany(g => g).ToArray();
        var flatTheirs = theirs.SelectMany(g => g).ToArray();
        float[] gradScale = [1f, 10f, 1e-3f, 0.3f];

        var optimizer = makeOurs(ours);
        var reference = makeTheirs(theirs);
        double worst = 0;
        for (int step = 0; step < Steps; step++)
        {
            if (lrAt != null)
            {
                float lr = lrAt(step);
                optimizer.Lr = lr;
                int gi = 0;
                foreach (var group in reference.ParamGroups) group.LearningRate = lr * (double)(lrScales?[gi++] ?? 1f);
            }
            if (viaBackward) optimizer.ZeroGrad();
            for (int i = 0; i < shapes.Length; i++)
            {
                if (hasGrad != null && !hasGrad(step, i))
                {
                    flatOurs[i].ZeroGrad();
                    flatTheirs[i].grad = null;
                    continue;
                }
                var rng = new Random(seed * 7919 + step * 31 + i);
                var g = new float[Count(shapes[i])];
                for (int j = 0; j < g.Length; j++) g[j] = gradScale[i % gradScale.Length] * (2 * (float)rng.NextDouble() - 1);
                if (viaBackward) flatOurs[i].Mul(Tensor.FromArray(g, shapes[i])).Sum().Backward();
                else flatOurs[i].Grad = Tensor.FromArray(g, shapes[i]);
                flatTheirs[i].grad = ToTorch(g, shapes[i]);
            }
            optimizer.Step();
            reference.step();

            for (int i = 0; i < shapes.Length; i++)
            {
                float[] actual = flatOurs[i].ToArray();
                OpParity.AssertScaledClose(flatTheirs[i], actual, shapes[i], Rtol, Atol,
                    $"{what} (seed {seed}): parameter {i} after step {step}");
                double[] expected = ToDoubles(flatTheirs[i]);
                double scale = Math.Max(1, expected.Max(Math.Abs));
                for (int j = 0; j < expected.Length; j++) worst = Math.Max(worst, Math.Abs(actual[j] - expected[j]) / scale);
            }
        }
        output.WriteLine($"{what} (seed {seed}): max |ours − torch| / max(1, max|p|) = {worst:G3} over {Steps} steps");
    }
}
