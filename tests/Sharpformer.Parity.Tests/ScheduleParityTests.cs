using Sharpformer.Optim;
using TorchSharp;
using Xunit.Abstractions;
using static Sharpformer.Parity.Tests.TorchOracle;
using LRScheduler = TorchSharp.torch.optim.lr_scheduler.LRScheduler;
using TorchOptimizer = TorchSharp.torch.optim.Optimizer;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Learning-rate schedules against torch.optim.lr_scheduler and against the definitions written out in
/// float64, at every step from 0 to past the end.
/// </summary>
/// <remarks>
/// Step mapping. Our <c>At(s)</c> is the rate of update number s, counted from 0. A torch scheduler sets
/// the rate for last_epoch = 0 when it is constructed (that rate is used by the first optimizer.step()), and
/// each scheduler.step() after an optimizer.step() advances last_epoch by one. So the rate torch uses for
/// update s is the one it holds after s calls to scheduler.step(), i.e. last_epoch = s, and a LambdaLR's
/// lambda is called with s: <c>At(s) == base_lr·λ(s)</c>.
/// </remarks>
public class ScheduleParityTests(ITestOutputHelper output)
{
    /// <summary>Ours is float32, torch float64: one float rounding, plus an absolute floor for rates near 0.</summary>
    const double Rtol = 1e-6;

    // ---- the paper's schedule ---------------------------------------------------------------------------

    [Theory]
    [InlineData(512, 4000, 1f, 12000)] // the paper's base model
    [InlineData(64, 10, 2f, 40)]
    [InlineData(16, 1, 0.5f, 10)]      // warmup of one step: pure inverse square root
    public void NoamMatchesLambdaLRAndThePaper(int dModel, int warmup, float factor, int steps)
    {
        var schedule = LearningRateSchedule.Noam(dModel, warmup, factor);
        // lrate = d_model^−0.5 · min(step_num^−0.5, step_num · warmup_steps^−1.5), with step_num = s + 1
        // (the paper counts steps from 1, which also keeps step 0 finite).
        double Paper(int s) => Math.Pow(dModel, -0.5) * Math.Min(Math.Pow(s + 1, -0.5), (s + 1) * Math.Pow(warmup, -1.5));
        double[] torchRates = TorchRates(o => torch.optim.lr_scheduler.LambdaLR(o, Paper), baseLr: factor, steps + 1);

        Compare($"Noam({dModel}, {warmup}, {factor}) vs LambdaLR", schedule, torchRates);
        Compare($"Noam({dModel}, {warmup}, {factor}) vs the paper", schedule,
            Enumerable.Range(0, steps + 1).Select(s => factor * Paper(s)).ToArray());

        // Boundaries: step 0 is the smallest warmup rate, the last warmup step (s = warmup − 1, step_num =
        // warmup) is the peak where both branches meet, after it the rate decays as step_num^−0.5.
        double peak = factor / Math.Sqrt(dModel) / Math.Sqrt(warmup);
        Assert.Equal(factor / Math.Sqrt(dModel) * Math.Pow(warmup, -1.5), schedule.At(0), Rtol * peak);
        Assert.Equal(peak, schedule.At(warmup - 1), Rtol * peak);
        Assert.Equal(Enumerable.Range(0, steps + 1).Max(schedule.At), schedule.At(warmup - 1));
        Assert.True(schedule.At(warmup) < schedule.At(warmup - 1));
        Assert.Equal(factor / Math.Sqrt(dModel) / Math.Sqrt(steps + 1), schedule.At(steps), Rtol * peak);
    }

    // ---- linear warmup, then linear or cosine decay ---------------------------------------------------

    // The definitions (LearningRateSchedule's documentation): warmup rises linearly from peak/warmup at
    // step 0 to peak at step warmup − 1; decay runs from peak at step warmup to floor at step totalSteps,
    // with progress (s − warmup)/(totalSteps − warmup); after totalSteps the rate stays at floor.
    static double Definition(int s, double peak, int warmup, int total, double floor, bool cosine)
    {
        if (s < warmup) return peak * (s + 1) / warmup;
        double progress = Math.Min(1.0, (double)(s - warmup) / Math.Max(1, total - warmup));
        double shape = cosine ? (1 + Math.Cos(Math.PI * progress)) / 2 : 1 - progress;
        return floor + (peak - floor) * shape;
    }

    public static readonly TheoryData<bool, float, int, int, float> WarmupDecayCases = new()
    {
        { true, 1e-3f, 10, 50, 0f },
        { true, 5e-4f, 8, 40, 1e-5f },
        { true, 3e-4f, 2, 7, 0f },
        { false, 1e-3f, 10, 50, 0f },
        { false, 5e-4f, 8, 40, 1e-5f },
        { false, 3e-4f, 2, 7, 3e-5f },
    };

    /// <summary>
    /// Against torch's own schedulers chained by SequentialLR: LinearLR(start 1/warmup, end 1 over warmup − 1
    /// steps) for the warmup, then at milestone = warmup either CosineAnnealingLR(T_max = total − warmup,
    /// eta_min = floor) or LinearLR(start 1, end floor/peak over total − warmup steps). Compared on steps
    /// 0..total (torch's cosine would rise again after T_max; ours holds the floor, checked by the definition).
    /// </summary>
    [Theory]
    [MemberData(nameof(WarmupDecayCases))]
    public void WarmupDecayMatchesTorchSchedulers(bool cosine, float peak, int warmup, int total, float floor)
    {
        var schedule = cosine
            ? LearningRateSchedule.WarmupCosine(peak, warmup, total, floor)
            : LearningRateSchedule.WarmupLinear(peak, warmup, total, floor);
        string name = $"Warmup{(cosine ? "Cosine" : "Linear")}({peak}, {warmup}, {total}, {floor})";
        double[] torchRates = TorchRates(o => torch.optim.lr_scheduler.SequentialLR(o,
            [
                torch.optim.lr_scheduler.LinearLR(o, 1.0 / warmup, 1.0, warmup - 1),
                cosine ? torch.optim.lr_scheduler.CosineAnnealingLR(o, total - warmup, floor)
                       : torch.optim.lr_scheduler.LinearLR(o, 1.0, floor / (double)peak, total - warmup),
            ], [warmup]), baseLr: peak, total + 1);
        Compare($"{name} vs SequentialLR", schedule, torchRates);
    }

    /// <summary>Against LambdaLR with the definition and against the definition itself, past the end; and the boundaries.</summary>
    [Theory]
    [MemberData(nameof(WarmupDecayCases))]
    public void WarmupDecayMatchesDefinition(bool cosine, float peak, int warmup, int total, float floor)
    {
        var schedule = cosine
            ? LearningRateSchedule.WarmupCosine(peak, warmup, total, floor)
            : LearningRateSchedule.WarmupLinear(peak, warmup, total, floor);
        string name = $"Warmup{(cosine ? "Cosine" : "Linear")}({peak}, {warmup}, {total}, {floor})";
        int steps = total + 10;
        double[] definition = Enumerable.Range(0, steps + 1).Select(s => Definition(s, peak, warmup, total, floor, cosine)).ToArray();
        double[] torchRates = TorchRates(o => torch.optim.lr_scheduler.LambdaLR(o,
            s => Definition(s, peak, warmup, total, floor, cosine) / peak), baseLr: peak, steps + 1);
        Compare($"{name} vs LambdaLR", schedule, torchRates);
        Compare($"{name} vs definition", schedule, definition);

        double tol = Rtol * peak;
        Assert.Equal(peak / warmup, schedule.At(0), tol);         // step 0: first warmup rate, not 0
        Assert.Equal(peak, schedule.At(warmup - 1), tol);          // last warmup step: the peak
        Assert.Equal(peak, schedule.At(warmup), tol);              // first decay step: still the peak
        Assert.True(schedule.At(warmup + 1) < schedule.At(warmup));
        Assert.Equal(floor, schedule.At(total), tol);              // the end
        Assert.Equal(floor, schedule.At(total + 10), tol);         // and after it
    }

    [Fact]
    public void WarmupDecayWithoutWarmupStartsAtPeak()
    {
        foreach (bool cosine in new[] { true, false })
        {
            var schedule = cosine ? LearningRateSchedule.WarmupCosine(1e-3f, 0, 20) : LearningRateSchedule.WarmupLinear(1e-3f, 0, 20);
            Compare($"warmup 0 ({(cosine ? "cosine" : "linear")}) vs definition", schedule,
                Enumerable.Range(0, 26).Select(s => Definition(s, 1e-3, 0, 20, 0, cosine)).ToArray());
            Assert.Equal(1e-3f, schedule.At(0));
        }
    }

    [Fact]
    public void ConstantMatchesConstantLambda()
    {
        var schedule = LearningRateSchedule.Constant(3e-4f);
        Compare("Constant(3e-4) vs LambdaLR(1)", schedule,
            TorchRates(o => torch.optim.lr_scheduler.LambdaLR(o, _ => 1.0), baseLr: 3e-4f, 20));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /// <summary>
    /// The rate torch's optimizer holds for updates 0..count−1 under the scheduler <paramref name="make"/>
    /// builds: read it, optimizer.step(), scheduler.step(), as a training loop does.
    /// </summary>
    static double[] TorchRates(Func<TorchOptimizer, LRScheduler> make, double baseLr, int count)
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.nn.Parameter(torch.zeros(1));
        var optimizer = torch.optim.SGD([p], baseLr);
        var scheduler = make(optimizer);
        var rates = new double[count];
        for (int s = 0; s < count; s++)
        {
            rates[s] = optimizer.ParamGroups.First().LearningRate;
            p.grad = torch.zeros(1);
            optimizer.step();
            scheduler.step();
        }
        return rates;
    }

    /// <summary>ours.At(s) against expected[s] for every s, relative to the largest expected rate.</summary>
    void Compare(string what, LearningRateSchedule ours, double[] expected)
    {
        float[] actual = Enumerable.Range(0, expected.Length).Select(ours.At).ToArray();
        double scale = expected.Max();
        AssertClose(expected, actual, Rtol, Rtol * scale, $"{what}: rate at step (index)");
        double worst = expected.Select((e, s) => Math.Abs(actual[s] - e) / scale).Max();
        output.WriteLine($"{what}: steps 0..{expected.Length - 1}, max |ours − torch| / peak = {worst:G3}");
    }
}
