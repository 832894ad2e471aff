using Sharpformer.Tensors;
using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>Broadcasting binary ops, scalar operators, unary math and activations, Where / MaskedFill.</summary>
public class ElementwiseParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3, 4 };

    public static TheoryData<string, int> BinaryCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string op in new[] { "Add", "Sub", "Mul", "Div", "Pow" })
            for (int seed = 1; seed <= 4; seed++)
                data.Add(op, seed);
        return data;
    }

    /// <summary>Two operands that broadcast: either may be the smaller one; gradients sum over broadcast dimensions.</summary>
    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOpBroadcasts(string op, int seed)
    {
        var rng = new Random(seed);
        int[] full = RandomShape(rng, rng.Next(1, 5));
        int[] small = BroadcastableTo(rng, full);
        var (sa, sb) = seed % 2 == 0 ? (full, small) : (small, full);
        var (a, b) = op switch
        {
            "Div" => (Input.Random(seed * 10 + 1, sa, -2, 2), Input.AwayFromZero(seed * 10 + 2, sb, 0.5f, 2f)),
            "Pow" => (Input.Random(seed * 10 + 1, sa, 0.5f, 2f), Input.Random(seed * 10 + 2, sb, -2f, 2f)),
            _ => (Input.Random(seed * 10 + 1, sa, -2, 2), Input.Random(seed * 10 + 2, sb, -2, 2)),
        };
        Func<Tensor, Tensor, Tensor> ours = op switch
        {
            "Add" => (x, y) => x.Add(y),
            "Sub" => (x, y) => x.Sub(y),
            "Mul" => (x, y) => x.Mul(y),
            "Div" => (x, y) => x.Div(y),
            _ => (x, y) => x.Pow(y),
        };
        Func<TorchTensor, TorchTensor, TorchTensor> theirs = op switch
        {
            "Add" => (x, y) => x + y,
            "Sub" => (x, y) => x - y,
            "Mul" => (x, y) => x * y,
            "Div" => (x, y) => x / y,
            _ => (x, y) => x.pow(y),
        };
        Check(op, seed, [a, b], x => ours(x[0], x[1]), x => theirs(x[0], x[1]));
    }

    /// <summary>The same ops on non-contiguous operands (a transposed view and a sliced view).</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void BinaryOpsOnStridedViews(int seed)
    {
        var rng = new Random(seed);
        int m = rng.Next(2, 7), n = rng.Next(2, 7);
        var a = Input.Random(seed * 10 + 1, [n, m], 0.5f, 2f);    // used transposed: [m, n]
        var b = Input.AwayFromZero(seed * 10 + 2, [m, 2 * n], 0.5f, 2f); // every other column: [m, n]
        Check("Add of views", seed, [a, b], x => x[0].Transpose(0, 1).Add(x[1].Slice(1, 0, 2 * n, 2)),
            x => x[0].t() + x[1].slice(1, 0, 2 * n, 2));
        Check("Div of views", seed, [a, b], x => x[0].Transpose(0, 1).Div(x[1].Slice(1, 0, 2 * n, 2)),
            x => x[0].t() / x[1].slice(1, 0, 2 * n, 2));
        Check("Pow of views", seed, [a, b], x => x[0].Transpose(0, 1).Pow(x[1].Slice(1, 1, 2 * n, 2)),
            x => x[0].t().pow(x[1].slice(1, 1, 2 * n, 2)));
    }

    /// <summary>An input used twice accumulates both gradient contributions.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void SameInputOnBothSides(int seed)
    {
        var shape = RandomShape(new Random(seed), 3);
        var a = Input.AwayFromZero(seed, shape, 0.5f, 2f);
        Check("x*x", seed, [a], x => x[0].Mul(x[0]), x => x[0] * x[0]);
        Check("x/x + x-x", seed, [a], x => x[0].Div(x[0]).Add(x[0].Sub(x[0])), x => x[0] / x[0] + (x[0] - x[0]));
    }

    public static TheoryData<string, int> ScalarCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string op in new[] { "t+s", "s+t", "t-s", "s-t", "t*s", "s*t", "t/s", "s/t", "-t", "Add(s)", "Mul(s)", "Neg" })
            for (int seed = 1; seed <= 3; seed++)
                data.Add(op, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(ScalarCases))]
    public void ScalarOperators(string op, int seed)
    {
        var rng = new Random(seed);
        int[] shape = RandomShape(rng, rng.Next(0, 4));
        var a = Input.AwayFromZero(seed, shape, 0.5f, 2f);
        float s = (float)(rng.NextDouble() * 4 - 2);
        Func<Tensor, Tensor> ours = op switch
        {
            "t+s" => t => t + s,
            "s+t" => t => s + t,
            "t-s" => t => t - s,
            "s-t" => t => s - t,
            "t*s" => t => t * s,
            "s*t" => t => s * t,
            "t/s" => t => t / s,
            "s/t" => t => s / t,
            "-t" => t => -t,
            "Add(s)" => t => t.Add(s),
            "Mul(s)" => t => t.Mul(s),
            _ => t => t.Neg(),
        };
        Func<TorchTensor, TorchTensor> theirs = op switch
        {
            "t+s" or "s+t" or "Add(s)" => t => t + s,
            "t-s" => t => t - s,
            "s-t" => t => s - t,
            "t*s" or "s*t" or "Mul(s)" => t => t * s,
            "t/s" => t => t / s,
            "s/t" => t => s / t,
            _ => t => -t,
        };
        Check($"{op} with s={s}", seed, [a], x => ours(x[0]), x => theirs(x[0]));
    }

    [Theory]
    [InlineData(2f, 1)]
    [InlineData(3f, 2)]
    [InlineData(0.5f, 3)]
    [InlineData(-1.5f, 4)]
    [InlineData(0f, 5)]
    [InlineData(1f, 6)]
    public void PowWithFloatExponent(float exponent, int seed)
    {
        var shape = RandomShape(new Random(seed), 3);
        Check($"Pow({exponent})", seed, [Input.Random(seed, shape, 0.5f, 2f)], x => x[0].Pow(exponent), x => x[0].pow(exponent));
    }

    public static TheoryData<string, int> UnaryCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string op in new[] { "Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Relu", "Gelu", "GeluTanh" })
            for (int seed = 1; seed <= 4; seed++)
                data.Add(op, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOp(string op, int seed)
    {
        var rng = new Random(seed);
        int[] shape = RandomShape(rng, rng.Next(1, 5));
        var a = op is "Log" or "Sqrt" ? Input.Random(seed, shape, 0.1f, 4f) : Input.Random(seed, shape, -4f, 4f);
        Func<Tensor, Tensor> ours = op switch
        {
            "Exp" => t => t.Exp(),
            "Log" => t => t.Log(),
            "Sqrt" => t => t.Sqrt(),
            "Tanh" => t => t.Tanh(),
            "Sigmoid" => t => t.Sigmoid(),
            "Relu" => t => t.Relu(),
            "Gelu" => t => t.Gelu(),
            _ => t => t.Gelu(GeluApproximation.Tanh),
        };
        Func<TorchTensor, TorchTensor> theirs = op switch
        {
            "Exp" => t => t.exp(),
            "Log" => t => t.log(),
            "Sqrt" => t => t.sqrt(),
            "Tanh" => t => t.tanh(),
            "Sigmoid" => t => t.sigmoid(),
            "Relu" => t => torch.nn.functional.relu(t),
            "Gelu" => t => torch.nn.functional.gelu(t),
            _ => t => torch.nn.functional.gelu(t, TorchSharp.Modules.GELU.Approximate.tanh),
        };
        Check(op, seed, [a], x => ours(x[0]), x => theirs(x[0]));
        // Again on a transposed (non-contiguous) view of a 2-D reshaping of the input.
        int rows = shape[0], cols = a.Data.Length / rows;
        Check(op + " of a transposed view", seed, [a with { Shape = [rows, cols] }],
            x => ours(x[0].Transpose(0, 1)), x => theirs(x[0].t()));
    }

    /// <summary>GELU far into both tails, where erf and tanh saturate.</summary>
    [Fact]
    public void GeluTails()
    {
        float[] xs = [-12f, -8f, -6f, -4.5f, -3f, -1e-3f, 0f, 1e-3f, 3f, 6f, 10f];
        var a = new Input(xs, [xs.Length]);
        Check("Gelu tails", 1, [a], x => x[0].Gelu(), x => torch.nn.functional.gelu(x[0]), atol: 1e-6);
        Check("GeluTanh tails", 1, [a], x => x[0].Gelu(GeluApproximation.Tanh),
            x => torch.nn.functional.gelu(x[0], TorchSharp.Modules.GELU.Approximate.tanh), atol: 1e-6);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WhereBroadcastsAllThree(int seed)
    {
        var rng = new Random(seed);
        int[] full = RandomShape(rng, rng.Next(1, 5));
        var cond = Input.Mask(seed * 10 + 1, BroadcastableTo(rng, full));
        var t = Input.Random(seed * 10 + 2, seed % 2 == 0 ? full : BroadcastableTo(rng, full));
        var f = Input.Random(seed * 10 + 3, seed % 2 == 1 ? full : BroadcastableTo(rng, full));
        // A pure selection: exact outputs (gradients sum over broadcast dimensions, so they round).
        Check("Where", seed, [cond, t, f], x => Tensor.Where(x[0], x[1], x[2]),
            x => torch.where(x[0] != 0, x[1], x[2]), rtol: 0, atol: 0, gradRtol: 1e-5, gradAtol: 1e-5);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MaskedFillBroadcastsMask(int seed)
    {
        var rng = new Random(seed);
        int[] shape = RandomShape(rng, rng.Next(1, 5));
        var a = Input.Random(seed * 10 + 1, shape);
        var mask = Input.Mask(seed * 10 + 2, BroadcastableTo(rng, shape));
        float value = seed == 1 ? -1e9f : (float)rng.NextDouble();
        Check($"MaskedFill({value})", seed, [a, mask], x => x[0].MaskedFill(x[1], value),
            x => x[0].masked_fill(x[1] != 0, value), rtol: 0, atol: 0, gradRtol: 1e-5, gradAtol: 1e-5);
    }

    /// <summary>a += α·b in place (b broadcasts), also through a strided view into a larger tensor; not differentiable.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void AddInPlace(int seed)
    {
        var rng = new Random(seed);
        int[] shape = RandomShape(rng, rng.Next(1, 4));
        int[] other = BroadcastableTo(rng, shape);
        float alpha = seed == 1 ? 1f : (float)(rng.NextDouble() * 4 - 2);
        float[] a = TorchOracle.RandomFloats(seed * 10 + 1, TorchOracle.Count(shape));
        float[] b = TorchOracle.RandomFloats(seed * 10 + 2, TorchOracle.Count(other));
        using var scope = torch.NewDisposeScope();

        var ours = Tensor.FromArray(a, shape);
        ours.AddInPlace(Tensor.FromArray(b, other), alpha);
        var theirs = TorchOracle.ToTorch(a, shape, float64: true);
        theirs.add_(TorchOracle.ToTorch(b, other, float64: true), alpha);
        AssertScaledClose(theirs, ours.ToArray(), ours.ShapeArray(), 1e-6, 1e-6,
            $"AddInPlace(α={alpha}) of {TorchOracle.Count(other)} into [{string.Join(", ", shape)}]");

        // Into every other column of a [rows, 2·cols] tensor: the other columns stay as they were.
        int rows = shape[0], cols = a.Length / rows;
        float[] wide = TorchOracle.RandomFloats(seed * 10 + 3, rows * 2 * cols);
        float[] row = TorchOracle.RandomFloats(seed * 10 + 4, cols);
        var oursWide = Tensor.FromArray(wide, rows, 2 * cols);
        oursWide.Slice(1, 1, 2 * cols, 2).AddInPlace(Tensor.FromArray(row, cols), alpha);
        var theirsWide = TorchOracle.ToTorch(wide, [rows, 2 * cols], float64: true);
        theirsWide.slice(1, 1, 2 * cols, 2).add_(TorchOracle.ToTorch(row, [cols], float64: true), alpha);
        AssertScaledClose(theirsWide, oursWide.ToArray(), oursWide.ShapeArray(), 1e-6, 1e-6, "AddInPlace through a strided view");

        // A parameter (requires grad) is updated under NoGrad, as an optimizer step does.
        var param = Tensor.FromArray(a, shape).RequireGrad();
        using (Sharpformer.Autograd.GradMode.NoGrad())
            param.AddInPlace(Tensor.FromArray(b, other), alpha);
        AssertScaledClose(theirs, param.ToArray(), param.ShapeArray(), 1e-6, 1e-6, "AddInPlace on a parameter under NoGrad");
    }
}
