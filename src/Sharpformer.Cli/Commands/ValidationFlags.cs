using System.CommandLine;
using Sharpformer.Training;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// train's flags for what a run validates, keeps and how long it lasts: BLEU at each evaluation, the best model, patience,
/// the weights kept for averaging, a moving average and a time budget. They fill the matching <see cref="TrainingOptions"/>.
/// </summary>
internal sealed class ValidationFlags
{
    public Option<float> MaxMinutes { get; } = CliOptions.Float("--max-minutes",
        "Train for X minutes (the updates' time; evaluations and checkpoints are extra), with the schedule decaying over them; " +
        "without --steps the time alone ends the run.", null, 0.01f, 1e6f);
    public Option<bool> EvalBleu { get; } = new("--eval-bleu")
    {
        Description = "At each evaluation also translate the validation pairs and log val_bleu and val_chrf.",
    };
    public Option<int> EvalBeam { get; } = CliOptions.Int("--eval-beam", "With --eval-bleu: translate with a beam of N (1: greedy).", 1);
    public Option<bool> KeepBest { get; } = new("--keep-best")
    {
        Description = "Keep the best validated model in DIR/best (a model directory, or a LoRA run's adapters, with best.json " +
            "saying which step and score).",
    };
    public Option<string> BestBy { get; } = new("--best-by")
    {
        Description = "What makes a model the best for --keep-best and --patience [default: bleu with --eval-bleu, else loss].",
    };
    public Option<int> Patience { get; } =
        CliOptions.Int("--patience", "Stop after N evaluations in a row without a better score (0: never).", 0, minimum: 0);
    public Option<int> AverageLast { get; } = CliOptions.Int("--average-last",
        "Keep the weights of the last N checkpoints in DIR/checkpoints for `sharpformer average` (0: none).", 0, minimum: 0);
    public Option<float> Ema { get; } = CliOptions.Float("--ema",
        "Keep an exponential moving average of the weights with this decay (0.999, say) and write it to DIR/ema.", null, 1e-6f,
        0.999999f);

    public ValidationFlags() => BestBy.AcceptOnlyFromAmong("bleu", "loss");

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { MaxMinutes, EvalBleu, EvalBeam, KeepBest, BestBy, Patience, AverageLast, Ema })
            command.Options.Add(option);
    }

    /// <summary>
    /// <paramref name="options"/> with the flags' values; for a new run, flags that need another are an error without it
    /// (a resumed run's are checked against its checkpoint's options instead).
    /// </summary>
    public TrainingOptions Apply(ParseResult result, TrainingOptions options, bool stepsGiven, bool resuming)
    {
        bool Given(Option option) => result.GetResult(option) is { Implicit: false };
        bool bleu = result.GetValue(EvalBleu);
        if (!resuming && Given(EvalBeam) && !bleu) throw new ArgumentException("--eval-beam goes with --eval-bleu");
        if (!resuming && result.GetValue(BestBy) == "bleu" && !bleu) throw new ArgumentException("--best-by bleu needs --eval-bleu");
        if (!resuming && Given(BestBy) && !result.GetValue(KeepBest) && !Given(Patience))
            throw new ArgumentException("--best-by goes with --keep-best or --patience");
        double minutes = Given(MaxMinutes) ? Math.Round((double)result.GetValue(MaxMinutes), 6) : 0;   // 0.03, not 0.0299999993
        return options with
        {
            Steps = minutes > 0 && !stepsGiven ? int.MaxValue : options.Steps,
            MaxMinutes = minutes,
            EvalBleu = bleu,
            EvalBeam = result.GetValue(EvalBeam),
            KeepBest = result.GetValue(KeepBest),
            BestBy = (result.GetValue(BestBy) ?? (bleu ? "bleu" : "loss")) == "bleu" ? BestMetric.Bleu : BestMetric.Loss,
            Patience = result.GetValue(Patience),
            AverageLast = result.GetValue(AverageLast),
            Ema = Given(Ema) ? result.GetValue(Ema) : 0,
        };
    }

    /// <summary>
    /// For --resume: the checkpoint's <paramref name="saved"/> options with the values of the flags given again, and the
    /// flags whose values differ from the checkpoint's (--max-minutes is not one: like --steps, it may extend a run).
    /// </summary>
    public (TrainingOptions Options, ResumeCheck.Difference?[] Differences) Continue(ParseResult result, TrainingOptions saved)
    {
        T Pick<T>(Option<T> option, T kept) => result.GetResult(option) is { Implicit: false } ? result.GetValue(option)! : kept;
        string savedBy = saved.BestBy == BestMetric.Bleu ? "bleu" : "loss";
        var options = saved with
        {
            EvalBleu = Pick(EvalBleu, saved.EvalBleu), EvalBeam = Pick(EvalBeam, saved.EvalBeam), KeepBest = Pick(KeepBest, saved.KeepBest),
            BestBy = Pick(BestBy, savedBy) == "bleu" ? BestMetric.Bleu : BestMetric.Loss, Patience = Pick(Patience, saved.Patience),
            AverageLast = Pick(AverageLast, saved.AverageLast), Ema = Pick(Ema, saved.Ema),
        };
        return (options,
        [
            ResumeCheck.Compare(result, EvalBleu, saved.EvalBleu), ResumeCheck.Compare(result, EvalBeam, saved.EvalBeam),
            ResumeCheck.Compare(result, KeepBest, saved.KeepBest), ResumeCheck.Compare(result, BestBy, savedBy),
            ResumeCheck.Compare(result, Patience, saved.Patience), ResumeCheck.Compare(result, AverageLast, saved.AverageLast),
            ResumeCheck.Compare(result, Ema, saved.Ema),
        ]);
    }
}
