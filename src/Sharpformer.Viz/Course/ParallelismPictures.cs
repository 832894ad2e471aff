using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 18: what each rank holds and what travels between ranks, data parallel against tensor parallel.</summary>
internal static class ParallelismPictures
{
    /// <summary>Writes the two schemes for two ranks side by side.</summary>
    public static void Write(string path)
    {
        using var diagram = new Diagram(1100, 600, "Two ways to use two processes",
            "Data parallelism copies the model and splits the batch; tensor parallelism splits each layer and shares the batch");
        var blue = new SKColor(40, 90, 200);

        diagram.Text(270, 110, "Data parallel (mpirun -np 2 sharpformer train)", 17, bold: true);
        diagram.Box(140, 200, 220, 56, Diagram.Input, "batch share 0", "tokens by length");
        diagram.Box(400, 200, 220, 56, Diagram.Input, "batch share 1", "tokens by length");
        diagram.Box(140, 320, 220, 70, Diagram.Attention, "rank 0", "the whole model", "forward + backward");
        diagram.Box(400, 320, 220, 70, Diagram.Attention, "rank 1", "the whole model", "forward + backward");
        diagram.Arrow(140, 228, 140, 285);
        diagram.Arrow(400, 228, 400, 285);
        diagram.Box(270, 450, 480, 56, Diagram.Operation, "all-reduce the gradients", "summed, weighted by each share's tokens");
        diagram.Arrow(140, 355, 200, 422, blue);
        diagram.Arrow(400, 355, 340, 422, blue);
        diagram.Box(270, 545, 480, 40, Diagram.Norm, "the same AdamW step on every rank");
        diagram.Arrow(270, 478, 270, 525);

        diagram.Text(830, 110, "Tensor parallel (--tensor-parallel)", 17, bold: true);
        diagram.Box(830, 200, 380, 56, Diagram.Input, "the whole batch", "on both ranks");
        diagram.Box(700, 320, 220, 90, Diagram.Attention, "rank 0", "heads 0 … H/2 − 1", "FF units 0 … d_ff/2 − 1", "half the vocabulary");
        diagram.Box(960, 320, 220, 90, Diagram.Attention, "rank 1", "heads H/2 … H − 1", "FF units d_ff/2 … d_ff − 1", "the other half");
        diagram.Arrow(760, 228, 720, 275);
        diagram.Arrow(900, 228, 940, 275);
        diagram.Box(830, 450, 380, 56, Diagram.Operation, "all-reduce each block's partial output",
            "after every attention and feed-forward block");
        diagram.Arrow(700, 365, 760, 422, blue);
        diagram.Arrow(960, 365, 900, 422, blue);
        diagram.Box(830, 545, 380, 40, Diagram.Norm, "each rank updates its own slices");
        diagram.Arrow(830, 478, 830, 525);
        diagram.Save(path);
    }
}
