namespace Sharpformer.Optim;

/// <summary>A learning rate for each optimizer step (step 0 is the first update).</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for update number <paramref name="step"/> (0-based).</summary>
    public abstract float At(int step);

    /// <summary>
    /// The learning rate for update number <paramref name="step"/> when something other than the step count sets how far
    /// the run is (a time budget): <paramref name="decayProgress"/> is the fraction of the decay done, 0 at the end of
    /// warmup and 1 at the end of the run. A schedule without an end (the paper's, a constant) ignores it.
    /// </summary>
    public virtual float AtProgress(int step, double decayProgress) => At(step);

    /// <summary>The paper's schedule, lr = factor·d_model^−½·min(t^−½, t·warmup^−³ᐟ²) with t = step + 1.</summary>
    public static LearningRateSchedule Noam(int dModel, int warmup, float factor = 1f) => new NoamSchedule(dModel, warmup, factor);

    /// <summary>
    /// Linear warmup from peak/warmup to <paramref name="peak"/>, then cosine decay to
    /// <paramref name="floor"/> at <paramref name="totalSteps"/>.
    /// </summary>
    public static LearningRateSchedule WarmupCosine(float peak, int warmup, int totalSteps, float floor = 0f) =>
        new WarmupDecaySchedule(peak, warmup, totalSteps, floor, cosine: true);

    /// <summary>Linear warmup then linear decay to <paramref name="floor"/> at <paramref name="totalSteps"/>.</summary>
    public static LearningRateSchedule WarmupLinear(float peak, int warmup, int totalSteps, float floor = 0f) =>
        new WarmupDecaySchedule(peak, warmup, totalSteps, floor, cosine: false);

    /// <summary>The same rate at every step.</summary>
    public static LearningRateSchedule Constant(float lr) => new ConstantSchedule(lr);

    private sealed class NoamSchedule(int dModel, int warmup, float factor) : LearningRateSchedule
    {
        public override float At(int step)
        {
            double t = step + 1;
            return (float)(factor / Math.Sqrt(dModel) * Math.Min(1 / Math.Sqrt(t), t * Math.Pow(Math.Max(warmup, 1), -1.5)));
        }
    }

    private sealed class WarmupDecaySchedule(float peak, int warmup, int totalSteps, float floor, bool cosine) : LearningRateSchedule
    {
        public override float At(int step) => AtProgress(step, (double)(step - warmup) / Math.Max(1, totalSteps - warmup));

        public override float AtProgress(int step, double decayProgress)
        {
            if (step < warmup) return peak * (step + 1) / warmup;
            double progress = Math.Clamp(decayProgress, 0, 1);
            double shape = cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
            return (float)(floor + (peak - floor) * shape);
        }
    }

    private sealed class ConstantSchedule(float lr) : LearningRateSchedule
    {
        public override float At(int step) => lr;
    }
}
