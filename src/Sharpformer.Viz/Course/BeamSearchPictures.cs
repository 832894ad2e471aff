using System.Globalization;
using Sharpformer.Generation;
using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>
/// Chapter 12: beam search against greedy decoding on a toy model — a table of next-word probabilities for "the small
/// house" in Spanish — walked by the rule <see cref="BeamSearch"/> follows: each step extends every live beam by every
/// word, ranks the extensions by total log-probability, sets aside an ended one that ranks among the K best, and keeps
/// the K best others.
/// </summary>
internal static class BeamSearchPictures
{
    private const string Eos = "</s>";
    private const int Beams = 2;

    // The toy model: the words that may follow each prefix (the empty prefix: the first word) and their probabilities.
    private static readonly Dictionary<string, (string Word, double P)[]> Next = new()
    {
        [""] = [("la", 0.45), ("una", 0.35), ("el", 0.20)],
        ["la"] = [("casa", 0.40), ("pequeña", 0.35), ("vivienda", 0.25)],
        ["una"] = [("casa", 0.85), ("pequeña", 0.15)],
        ["el"] = [("hogar", 0.70), ("casa", 0.30)],
        ["la casa"] = [("pequeña", 0.70), (Eos, 0.30)],
        ["la pequeña"] = [("casa", 0.95), (Eos, 0.05)],
        ["una casa"] = [("pequeña", 0.90), (Eos, 0.10)],
        ["la casa pequeña"] = [(Eos, 0.90)],
        ["una casa pequeña"] = [(Eos, 0.95)],
    };

    /// <summary>One extension at one step: its words, total log-probability, and what the search did with it.</summary>
    private sealed record Candidate(string[] Words, double LogP, Fate Fate)
    {
        public string Prefix => string.Join(' ', Words.Where(w => w != Eos));
    }

    private enum Fate { Kept, Ended, Dropped }

    /// <summary>Writes the tree of every extension the search scored, greedy's path over it, and both answers.</summary>
    public static void Write(string path)
    {
        var steps = Search();
        var greedy = Greedy();
        var ended = steps.SelectMany(c => c).Where(c => c.Fate == Fate.Ended).ToList();
        var best = ended.MaxBy(c => BeamSearch.Normalize(c.LogP, c.Words.Length, 0.6f))!;
        using var diagram = new Diagram(1280, 760, "Beam search (K = 2) against greedy decoding",
            "A toy model translating \"the small house\": each box is a prefix with its total log-probability; " +
            "the search keeps the 2 best at each step (the table lists only the likely words)");
        float[] columns = [90, 300, 530, 780, 1040];
        diagram.Box(columns[0], 380, 110, 50, Diagram.Input, "<s>", "log P 0");
        var positions = new Dictionary<string, SKPoint> { [""] = new(columns[0], 380) };
        var green = new SKColor(30, 140, 60);
        var orange = new SKColor(220, 120, 20);
        for (int s = 0; s < steps.Count; s++)
        {
            var column = steps[s];
            float gap = 600f / column.Count, top = 100 + gap / 2;
            for (int i = 0; i < column.Count; i++)
            {
                var c = column[i];
                float x = columns[s + 1], y = top + i * gap;
                string key = string.Join(' ', c.Words);
                positions[key] = new SKPoint(x, y);
                var parent = positions[string.Join(' ', c.Words[..^1])];
                bool onGreedy = greedy.Take(s + 1).SequenceEqual(c.Words), onBest = best.Words.Take(s + 1).SequenceEqual(c.Words);
                var color = onGreedy ? orange : onBest ? green : (SKColor?)null;
                diagram.Arrow(parent.X + 62, parent.Y, x - 64, y, color, color is null ? 1.5f : 3.5f);
                var fill = c.Fate switch { Fate.Kept => Diagram.Attention, Fate.Ended => Diagram.Norm, _ => Diagram.Output };
                diagram.Box(x, y, 124, 46, fill, c.Words[^1], string.Create(CultureInfo.InvariantCulture, $"log P {c.LogP:F2}"));
            }
        }

        double greedyLogP = greedy.Select((w, i) => Math.Log(Next[string.Join(' ', greedy.Take(i))].First(n => n.Word == w).P)).Sum();
        diagram.Text(40, 700, string.Create(CultureInfo.InvariantCulture,
            $"Greedy (orange) takes the likeliest word each time: \"{string.Join(' ', greedy[..^1])}\", log P {greedyLogP:F2}."),
            15, color: orange, left: true);
        diagram.Text(40, 725, string.Create(CultureInfo.InvariantCulture,
            $"Beam search (green) ends with \"{best.Prefix}\", log P {best.LogP:F2}: \"una\" ranked second at the first step, but " +
            $"its continuation is surer."), 15, color: green, left: true);
        diagram.Text(40, 750, "Lilac: kept in the beam · green: ended (</s> among the 2 best) · grey: dropped, never extended.", 14,
            left: true);
        diagram.Save(path);
    }

    // The search's steps: every candidate it scored, in the order of their parents' boxes, and what it did with each.
    private static List<List<Candidate>> Search()
    {
        var live = new List<Candidate> { new([], 0, Fate.Kept) };
        var steps = new List<List<Candidate>>();
        var finished = 0;
        while (live.Count > 0 && finished < Beams)
        {
            var candidates = live.SelectMany(beam => Next[beam.Prefix]
                .Select(n => new Candidate([.. beam.Words, n.Word], beam.LogP + Math.Log(n.P), Fate.Dropped))).ToList();
            var ranked = candidates.OrderByDescending(c => c.LogP).ToList();
            var fates = new Dictionary<Candidate, Fate>();
            int kept = 0;
            for (int rank = 0; rank < ranked.Count; rank++)
            {
                var c = ranked[rank];
                if (c.Words[^1] == Eos) fates[c] = rank < Beams ? Fate.Ended : Fate.Dropped;
                else fates[c] = kept++ < Beams ? Fate.Kept : Fate.Dropped;
            }
            var column = candidates.Select(c => c with { Fate = fates[c] }).ToList();
            steps.Add(column);
            finished += column.Count(c => c.Fate == Fate.Ended);
            live = [.. column.Where(c => c.Fate == Fate.Kept)];
        }
        return steps;
    }

    // Greedy decoding over the same table: the likeliest word each time, until </s>.
    private static string[] Greedy()
    {
        var words = new List<string>();
        while (words.LastOrDefault() != Eos) words.Add(Next[string.Join(' ', words)].MaxBy(n => n.P).Word);
        return [.. words];
    }
}
