using TorchSharp;
using static Sharpformer.Parity.Tests.OpParity;

namespace Sharpformer.Parity.Tests;

/// <summary>Tensor.MatMul against torch.matmul: every rank combination, broadcast batch dimensions, strided operands.</summary>
public class MatMulParityTests
{
    /// <summary>
    /// Operand shapes as patterns over the sizes m, n, k and batch sizes B, H (from the seed); "1" is a
    /// literal broadcast dimension.
    /// </summary>
    public static TheoryData<string, string, int> Cases()
    {
        (string A, string B)[] pairs =
        [
            ("k", "k"),            // dot product
            ("k", "k,n"),          // vector · matrix
            ("m,k", "k"),          // matrix · vector
            ("m,k", "k,n"),
            ("B,m,k", "B,k,n"),    // batched
            ("B,m,k", "k,n"),      // batch · shared matrix (folded into one GEMM)
            ("m,k", "B,k,n"),      // shared matrix · batch
            ("B,1,m,k", "1,H,k,n"), // both batch dimensions broadcast
            ("B,H,m,k", "H,k,n"),  // fewer batch dimensions on one side
            ("1,m,k", "B,k,n"),
            ("B,m,k", "k"),        // batch · vector
            ("k", "B,k,n"),        // vector · batch
        ];
        var data = new TheoryData<string, string, int>();
        foreach (var (a, b) in pairs)
            for (int seed = 1; seed <= 3; seed++)
                data.Add(a, b, seed);
        return data;
    }

    static int[] Dims(string pattern, Dictionary<string, int> sizes) =>
        pattern.Split(',').Select(p => int.TryParse(p, out int literal) ? literal : sizes[p]).ToArray();

    static Dictionary<string, int> SizesFor(int seed)
    {
        var rng = new Random(seed * 101);
        // Seed 3 uses larger matrices (crossing GEMM blocking); the others stay small.
        int max = seed == 3 ? 80 : 9;
        return new()
        {
            ["m"] = rng.Next(1, max + 1), ["n"] = rng.Next(1, max + 1), ["k"] = rng.Next(1, max + 1),
            ["B"] = rng.Next(2, 4), ["H"] = rng.Next(2, 4),
        };
    }

    /// <summary>Float32 sums of k products: tolerance grows like √k (values are about 1).</summary>
    static double AtolFor(Dictionary<string, int> sizes) => 1e-5 * Math.Sqrt(Math.Max(sizes["k"], Math.Max(sizes["m"], sizes["n"])));

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatMulMatchesTorch(string aPattern, string bPattern, int seed)
    {
        var sizes = SizesFor(seed);
        var a = Input.Random(seed * 10 + 1, Dims(aPattern, sizes));
        var b = Input.Random(seed * 10 + 2, Dims(bPattern, sizes));
        Check($"MatMul [{aPattern}]·[{bPattern}]", seed, [a, b], x => x[0].MatMul(x[1]), x => torch.matmul(x[0], x[1]),
            atol: AtolFor(sizes));
    }

    /// <summary>
    /// Operands that are views: transposed (GEMM reads them with a transpose flag), sliced (leading
    /// dimension larger than the row), permuted batch dimensions (no evenly spaced batch), expanded.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatMulOfViews(int seed)
    {
        var sizes = SizesFor(seed);
        int m = sizes["m"], n = sizes["n"], k = sizes["k"], batch = sizes["B"];
        double atol = AtolFor(sizes);

        var at = Input.Random(seed * 10 + 1, [k, m]);
        var bt = Input.Random(seed * 10 + 2, [n, k]);
        Check("Aᵀ·Bᵀ", seed, [at, bt], x => x[0].Transpose(0, 1).MatMul(x[1].Transpose(0, 1)),
            x => torch.matmul(x[0].t(), x[1].t()), atol: atol);

        var wide = Input.Random(seed * 10 + 3, [m, k + 3]);
        var b = Input.Random(seed * 10 + 4, [k + 2, n]);
        Check("sliced columns · sliced rows", seed, [wide, b], x => x[0].Slice(1, 2, k + 2).MatMul(x[1].Slice(0, 1, k + 1)),
            x => torch.matmul(x[0].slice(1, 2, k + 2, 1), x[1].slice(0, 1, k + 1, 1)), atol: atol);

        var stepped = Input.Random(seed * 10 + 5, [m, 2 * k]);
        Check("every other column · B", seed, [stepped, b], x => x[0].Slice(1, 0, 2 * k, 2).MatMul(x[1].Slice(0, 0, k)),
            x => torch.matmul(x[0].slice(1, 0, 2 * k, 2), x[1].slice(0, 0, k, 1)), atol: atol);

        var perm = Input.Random(seed * 10 + 6, [m, batch, k]); // permuted to [batch, m, k]
        var bb = Input.Random(seed * 10 + 7, [batch, n, k]);   // transposed to [batch, k, n]
        Check("permuted batch · transposed batch", seed, [perm, bb], x => x[0].Permute(1, 0, 2).MatMul(x[1].Transpose(1, 2)),
            x => torch.matmul(x[0].permute(1, 0, 2), x[1].transpose(1, 2)), atol: atol);
        Check("permuted batch · shared matrix", seed, [perm, b], x => x[0].Permute(1, 0, 2).MatMul(x[1].Slice(0, 0, k)),
            x => torch.matmul(x[0].permute(1, 0, 2), x[1].slice(0, 0, k, 1)), atol: atol);

        var row = Input.Random(seed * 10 + 8, [1, k]);
        Check("expanded rows · B", seed, [row, b], x => x[0].Expand(batch, m, k).MatMul(x[1].Slice(0, 0, k)),
            x => torch.matmul(x[0].expand(batch, m, k), x[1].slice(0, 0, k, 1)), atol: atol);
    }

    /// <summary>A chain where gradients pass through two products and a shared input (x·W₁)·W₂ + x·W₃.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatMulChainWithSharedInput(int seed)
    {
        var rng = new Random(seed);
        int batch = rng.Next(1, 4), t = rng.Next(1, 7), d = rng.Next(1, 9), h = rng.Next(1, 9);
        var x = Input.Random(seed * 10 + 1, [batch, t, d]);
        var w1 = Input.Random(seed * 10 + 2, [d, h]);
        var w2 = Input.Random(seed * 10 + 3, [h, d]);
        var w3 = Input.Random(seed * 10 + 4, [d, d]);
        Check("(x·W1)·W2 + x·W3", seed, [x, w1, w2, w3],
            v => v[0].MatMul(v[1]).MatMul(v[2]).Add(v[0].MatMul(v[3])),
            v => torch.matmul(torch.matmul(v[0], v[1]), v[2]) + torch.matmul(v[0], v[3]));
    }
}
