using System.Globalization;
using Sharpformer.Tensors;
using SkiaSharp;

namespace Sharpformer.Viz.Course;

/// <summary>Chapter 3: a scalar computation graph with the value and gradient of every node, computed by the library's autograd.</summary>
internal static class AutogradPictures
{
    /// <summary>
    /// Writes the graph of y = (a·b + c)² at a = 2, b = −3, c = 10: leaves on the left, ops in circles, each box with its
    /// value (forward pass) and ∂y/∂node (backward pass).
    /// </summary>
    public static void Write(string path)
    {
        const float a = 2, b = -3, c = 10;
        // The forward pass and the leaves' gradients, through the library's autograd.
        var (ta, tb, tc) = (Tensor.Scalar(a).RequireGrad(), Tensor.Scalar(b).RequireGrad(), Tensor.Scalar(c).RequireGrad());
        var te = ta.Mul(tb);
        var td = te.Add(tc);
        var ty = td.Mul(td);
        ty.Backward();
        // Inner nodes keep no gradient: each is taken as a leaf of the rest of the graph instead.
        float gradE = GradientAt(te.Item(), e => e.Add(Tensor.Scalar(c)).Pow(2f));
        float gradD = GradientAt(td.Item(), d => d.Mul(d));

        using var diagram = new Diagram(1100, 470, "A computation graph: y = (a·b + c)²",
            "Forward: values left to right. Backward: each node's ∂y/∂node right to left, a local derivative times the gradient above it");
        var red = new SKColor(200, 40, 40);
        Node(diagram, 110, 170, "a", a, ta.Grad!.Item());
        Node(diagram, 110, 330, "b", b, tb.Grad!.Item());
        diagram.Circle(290, 250, 26, "×", Diagram.Operation);
        diagram.Arrow(175, 185, 265, 238);
        diagram.Arrow(175, 315, 265, 262);
        Node(diagram, 450, 250, "e = a·b", te.Item(), gradE);
        diagram.Arrow(316, 250, 385, 250);
        Node(diagram, 450, 400, "c", c, tc.Grad!.Item());
        diagram.Circle(620, 320, 26, "+", Diagram.Operation);
        diagram.Arrow(515, 262, 596, 308);
        diagram.Arrow(515, 388, 596, 332);
        Node(diagram, 780, 320, "d = e + c", td.Item(), gradD);
        diagram.Arrow(646, 320, 715, 320);
        diagram.Circle(920, 230, 26, "x²", Diagram.Operation);
        diagram.Arrow(820, 290, 898, 245);
        Node(diagram, 1010, 150, "y = d²", ty.Item(), 1);
        diagram.Arrow(940, 212, 985, 185);
        diagram.Text(60, 450, "∂y/∂d = 2d = " + Format(gradD) + "   ∂y/∂e = ∂y/∂c = ∂y/∂d · 1   ∂y/∂a = ∂y/∂e · b   ∂y/∂b = ∂y/∂e · a", 15,
            color: red, left: true);
        diagram.Save(path);
    }

    private static void Node(Diagram diagram, float x, float y, string name, float value, float gradient) =>
        diagram.Box(x, y, 130, 70, Diagram.Input, name, "value " + Format(value), "grad " + Format(gradient));

    // ∂f/∂x at x = at, through the library's backward pass.
    private static float GradientAt(float at, Func<Tensor, Tensor> f)
    {
        var x = Tensor.Scalar(at).RequireGrad();
        f(x).Backward();
        return x.Grad!.Item();
    }

    private static string Format(float value) => value.ToString("0.##", CultureInfo.InvariantCulture).Replace('-', '−');
}
