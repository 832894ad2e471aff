using System.Globalization;
using Sharpformer.Training;

namespace Sharpformer.Cli.Display;

/// <summary>
/// Training progress on standard error: a bar redrawn in place on a terminal, or a plain line every
/// twentieth of the run (and at each evaluation) when standard error is redirected. A run that its time budget ends
/// shows its total steps as an estimate (~N).
/// </summary>
internal sealed class TrainingProgressBar(TextWriter error, bool interactive)
{
    private const int Width = 24;
    private int _twentiethsShown;

    public void Report(TrainingProgress p)
    {
        string total = p.TotalIsEstimate ? $"~{p.TotalSteps}" : $"{p.TotalSteps}";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{total}  loss {p.Loss:F4}  lr {p.Lr:E2}  |g| {p.GradNorm:F2}  {p.TokensPerSecond:F0} tok/s  ETA {
                Format(p.Remaining)}");
        if (p.Valid is { } v)
            line += string.Create(CultureInfo.InvariantCulture, $"  val_loss {v.Loss:F4}  val_acc {v.Accuracy:P1}")
                + (v.Bleu is double bleu ? string.Create(CultureInfo.InvariantCulture, $"  val_bleu {bleu:F2}  val_chrf {v.Chrf:F2}") : "");
        int twentieths = (int)(20 * p.Fraction);
        if (interactive)
        {
            int filled = (int)(Width * p.Fraction);
            error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {line}\u001b[K");
            if (p.Valid is not null || p.Last) error.WriteLine();
        }
        else if (p.Valid is not null || p.Last || twentieths > _twentiethsShown)
        {
            error.WriteLine(line);
        }
        _twentiethsShown = Math.Max(_twentiethsShown, twentieths);
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
