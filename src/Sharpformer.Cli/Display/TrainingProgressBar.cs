using System.Globalization;
using Sharpformer.Training;

namespace Sharpformer.Cli.Display;

/// <summary>
/// Training progress on standard error: a bar redrawn in place on a terminal, or a plain line every
/// twentieth of the run (and at each evaluation) when standard error is redirected.
/// </summary>
internal sealed class TrainingProgressBar(TextWriter error, bool interactive)
{
    private const int Width = 24;

    public void Report(TrainingProgress p)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps}  loss {p.Loss:F4}  lr {p.Lr:E2}  |g| {p.GradNorm:F2}  {p.TokensPerSecond:F0} tok/s  ETA {
                Format(p.Remaining)}");
        if (p.ValidLoss is float v)
            line += string.Create(CultureInfo.InvariantCulture, $"  val_loss {v:F4}  val_acc {p.ValidAccuracy:P1}");
        if (interactive)
        {
            int filled = (int)((long)Width * p.Step / p.TotalSteps);
            error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {line}\u001b[K");
            if (p.ValidLoss is not null || p.Step == p.TotalSteps) error.WriteLine();
        }
        else if (p.ValidLoss is not null || p.Step == p.TotalSteps || p.Step % Math.Max(1, p.TotalSteps / 20) == 0)
        {
            error.WriteLine(line);
        }
    }

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
