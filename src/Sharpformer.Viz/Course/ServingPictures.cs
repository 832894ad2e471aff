using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 20: how <c>sharpformer serve</c> turns concurrent requests into batches (DecodingQueue).</summary>
internal static class ServingPictures
{
    /// <summary>Writes three clients, the HTTP front, a model's queue of segments and the batch its decoding thread takes.</summary>
    public static void Write(string path)
    {
        using var diagram = new Diagram(1240, 680, "Dynamic batching in sharpformer serve",
            "Requests arrive one by one; the decoding thread takes every queued segment that decodes the same way as one batch");
        var blue = new SKColor(60, 110, 200);
        var orange = new SKColor(220, 120, 20);
        var green = new SKColor(30, 140, 60);
        (float Y, string Who, string What, SKColor Color)[] clients =
        [
            (170, "client A", "3 lines, greedy", blue),
            (300, "client B", "1 line, greedy", orange),
            (430, "client C", "2 lines, beam 4", green),
        ];
        foreach (var (y, who, what, color) in clients)
        {
            diagram.Box(110, y, 170, 60, Diagram.Input, who, what);
            diagram.Arrow(196, y, 303, 300, color, 2.5f);
        }
        diagram.Text(110, 520, "POST /v1/translate", 14);

        diagram.Box(425, 300, 240, 200, Diagram.Operation, "HTTP (Kestrel)", "reads the JSON", "checks the limits:",
            "--max-texts, --max-chars,", "--max-body-kb, beam ≤ 32", "400/413 with a message");
        diagram.Arrow(547, 300, 598, 300);

        // The model's queue: segments of at most --max-batch lines, oldest first.
        diagram.Text(760, 120, "the model's queue (oldest first)", 16, bold: true);
        (string Label, int Lines, SKColor Color, bool Taken)[] segments =
        [
            ("A: 3 lines, greedy", 3, blue, true),
            ("C: 2 lines, beam 4", 2, green, false),
            ("B: 1 line, greedy", 1, orange, true),
        ];
        for (int i = 0; i < segments.Length; i++)
        {
            var (label, lines, color, taken) = segments[i];
            float y = 160 + i * 90;
            diagram.Box(760, y + 30, 300, 70, taken ? Diagram.Attention : Diagram.Output, label,
                taken ? "taken into this batch" : "waits: another decoding");
            for (int l = 0; l < lines; l++) diagram.Rect(630 + l * 18, y + 52, 14, 10, color);
        }
        diagram.Arrow(912, 220, 1000, 300, blue, 2.5f);
        diagram.Arrow(912, 400, 1000, 320, orange, 2.5f);

        diagram.Box(1100, 320, 200, 150, Diagram.Norm, "decoding thread", "one batch of 4 lines", "≤ --max-batch lines",
            "rows leave at </s>", "(TokenByToken)");
        diagram.Arrow(1100, 396, 1100, 470);
        diagram.Box(1100, 510, 220, 70, Diagram.Input, "each request gets", "its own lines back");
        diagram.Text(620, 600, "While a batch decodes, new requests queue, so under load batches fill by themselves; a batch that is " +
            "not full", 15);
        diagram.Text(620, 624, "waits at most --batch-wait ms, and only while requests are still arriving: a lone client never waits. " +
            "The answers equal", 15);
        diagram.Text(620, 648, "sequential ones (the tests compare 40 concurrent requests with the library's answers one by one).", 15);
        diagram.Save(path);
    }
}
