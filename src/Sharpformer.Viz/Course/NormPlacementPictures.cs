using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 6: where the layer norm sits around a sublayer, post-norm (the paper) against pre-norm.</summary>
internal static class NormPlacementPictures
{
    private const float Bottom = 600, Step = 105;

    /// <summary>Writes the two blocks side by side, data flowing upwards as in the paper's figure, the residual path in blue.</summary>
    public static void Write(string path)
    {
        using var diagram = new Diagram(920, 720, "Post-norm and pre-norm",
            "The same two pieces, a sublayer (attention or feed-forward) and a layer norm, in two orders");
        Column(diagram, 240, "Post-norm (the paper, NormPlacement.Post)", normFirst: false, "x′ = LayerNorm(x + Sublayer(x))");
        Column(diagram, 680, "Pre-norm (NormPlacement.Pre)", normFirst: true, "x′ = x + Sublayer(LayerNorm(x))");
        diagram.Text(680, 704, "and one last LayerNorm after the whole stack", 14);
        diagram.Text(240, 704, "the residual sum is normalized at every layer", 14);
        diagram.Save(path);
    }

    // One block, bottom to top: x, two boxes (in the order given), the residual sum, the output.
    private static void Column(Diagram diagram, float x, string title, bool normFirst, string formula)
    {
        var blue = new SKColor(40, 90, 200);
        diagram.Text(x, 100, title, 17, bold: true);
        diagram.Text(x, 124, formula, 15);
        float input = Bottom, first = Bottom - Step, second = Bottom - 2 * Step, sum = Bottom - 3 * Step, output = Bottom - 4 * Step;
        if (!normFirst) (second, sum) = (sum, second);    // post-norm adds the residual before the norm
        diagram.Box(x, input, 110, 44, Diagram.Input, "x");
        if (normFirst)
        {
            diagram.Box(x, first, 200, 50, Diagram.Norm, "LayerNorm");
            diagram.Box(x, second, 200, 50, Diagram.Attention, "Sublayer");
        }
        else
        {
            diagram.Box(x, first, 200, 50, Diagram.Attention, "Sublayer");
            diagram.Box(x, second, 200, 50, Diagram.Norm, "LayerNorm");
        }
        diagram.Circle(x, sum, 20, "+", Diagram.Operation);
        diagram.Box(x, output, 110, 44, Diagram.Output, "x′");

        // The main path, bottom to top, through whatever lies between each pair.
        float[] stops = [.. new[] { input, first, second, sum, output }.OrderByDescending(y => y)];
        for (int i = 0; i + 1 < stops.Length; i++)
            diagram.Arrow(x, stops[i] - Half(stops[i], input, sum), x, stops[i + 1] + Half(stops[i + 1], input, sum));
        // The residual: from just above x, around the sublayer (and, in pre-norm, the norm), into the sum.
        float branch = input - 22 - 18;
        diagram.Path(blue, new SKPoint(x, branch), new SKPoint(x + 150, branch), new SKPoint(x + 150, sum), new SKPoint(x + 20, sum));
        diagram.Text(x + 158, (branch + sum) / 2, "residual", 14, color: blue, left: true);
    }

    // Half the height of what sits at y: the circle's radius at the sum, a box's half-height elsewhere.
    private static float Half(float y, float input, float sum) => y == sum ? 20 : y == input ? 22 : 25;
}
