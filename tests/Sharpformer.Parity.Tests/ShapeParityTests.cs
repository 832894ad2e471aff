using static Sharpformer.Parity.Tests.OpParity;

namespace Sharpformer.Parity.Tests;

/// <summary>
/// Views and reshaping: Reshape, Flatten, Transpose, Permute, Slice / Narrow, Unsqueeze / Squeeze, Expand,
/// Contiguous / Clone, and chains of them (gradients must land back in the right elements).
/// Each view is followed by Exp in some checks, so gradients also pass through a real op.
/// </summary>
public class ShapeParityTests
{
    public static readonly TheoryData<int> Seeds = new() { 1, 2, 3, 4 };

    static int[] ShapeFor(int seed) => RandomShape(new Random(seed * 19), 2 + seed % 3, maxSize: 5);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ReshapeAndFlatten(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        int n = a.Data.Length, first = shape[0];
        Check("Reshape(-1)", seed, [a], x => x[0].Reshape(-1), x => x[0].reshape(-1));
        Check("Flatten()", seed, [a], x => x[0].Flatten(), x => x[0].flatten());
        Check("Reshape(first, -1)", seed, [a], x => x[0].Reshape(first, -1).Exp(), x => x[0].reshape(first, -1).exp());
        Check("Reshape(-1, 1, first)", seed, [a], x => x[0].Reshape(-1, 1, first), x => x[0].reshape(-1, 1, first));
        Check("Reshape(n)", seed, [a], x => x[0].Reshape(n), x => x[0].reshape(n));
        // Reshape of a non-contiguous view has to copy.
        Check("Transpose(0,-1).Reshape(-1)", seed, [a], x => x[0].Transpose(0, -1).Reshape(-1).Exp(),
            x => x[0].transpose(0, -1).reshape(-1).exp());
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TransposeEveryPair(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        int r = shape.Length;
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            {
                int ii = i, jj = j - (j % 2) * r; // every other pair uses a negative second axis
                Check($"Transpose({ii}, {jj})", seed, [a], x => x[0].Transpose(ii, jj).Exp(), x => x[0].transpose(ii, jj).exp());
            }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void PermuteRandomOrders(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        for (int trial = 0; trial < 4; trial++)
        {
            int[] dims = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
            if (trial == 3) dims = dims.Select(d => d - shape.Length).ToArray(); // negative dimensions
            long[] torchDims = dims.Select(d => (long)(d < 0 ? d + shape.Length : d)).ToArray();
            Check($"Permute({string.Join(", ", dims)})", seed, [a], x => x[0].Permute(dims).Exp(), x => x[0].permute(torchDims).exp());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SliceAndNarrow(int seed)
    {
        var rng = new Random(seed);
        int[] shape = ShapeFor(seed).Select(s => s + 2).ToArray();
        var a = Input.Random(seed, shape);
        for (int axis = 0; axis < shape.Length; axis++)
        {
            int size = shape[axis];
            int start = rng.Next(0, size), end = rng.Next(start, size + 1), step = rng.Next(1, 4);
            Check($"Slice({axis}, {start}, {end}, {step})", seed, [a], x => x[0].Slice(axis, start, end, step).Exp(),
                x => x[0].slice(axis, start, end, step).exp());
            // Python-style negative bounds.
            int negStart = start - size, negEnd = end == size ? size : end - size;
            Check($"Slice({axis}, {negStart}, {negEnd}, {step})", seed, [a], x => x[0].Slice(axis, negStart, negEnd, step),
                x => x[0].slice(axis, start, end, step));
            int length = end - start;
            Check($"Narrow({axis}, {start}, {length})", seed, [a], x => x[0].Narrow(axis, start, length).Exp(),
                x => x[0].narrow(axis, start, length).exp());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void UnsqueezeAndSqueeze(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        int r = shape.Length;
        for (int axis = -r - 1; axis <= r; axis++)
        {
            int d = axis;
            Check($"Unsqueeze({d})", seed, [a], x => x[0].Unsqueeze(d).Exp(), x => x[0].unsqueeze(d).exp());
            Check($"Unsqueeze({d}).Squeeze({d})", seed, [a], x => x[0].Unsqueeze(d).Squeeze(d), x => x[0].unsqueeze(d).squeeze(d));
        }
        for (int axis = 0; axis < r; axis++)
        {
            // Squeezing a dimension whose size is not 1 leaves the tensor as it is, as in torch.
            int d = axis;
            Check($"Squeeze({d})", seed, [a], x => x[0].Squeeze(d), x => x[0].squeeze(d));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ExpandBroadcastsAndSumsGradients(int seed)
    {
        var rng = new Random(seed);
        int[] full = ShapeFor(seed);
        int[] small = BroadcastableTo(rng, full);
        var a = Input.Random(seed, small);
        long[] fullLong = full.Select(s => (long)s).ToArray();
        Check($"Expand({string.Join(", ", full)})", seed, [a], x => x[0].Expand(full).Exp(), x => x[0].expand(fullLong).exp());
        // −1 keeps a dimension.
        int[] keep = full.Select((s, i) => i >= full.Length - small.Length && small[i - (full.Length - small.Length)] == s ? -1 : s)
            .ToArray();
        Check($"Expand({string.Join(", ", keep)})", seed, [a], x => x[0].Expand(keep), x => x[0].expand(fullLong));
        // An expanded view feeding an elementwise op with a full-size tensor.
        var b = Input.Random(seed + 100, full);
        Check("Expand then Mul", seed, [a, b], x => x[0].Expand(full).Mul(x[1]), x => x[0].expand(fullLong) * x[1]);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ContiguousAndClone(int seed)
    {
        int[] shape = ShapeFor(seed);
        var a = Input.Random(seed, shape);
        Check("Transpose(0,1).Contiguous()", seed, [a], x => x[0].Transpose(0, 1).Contiguous(), x => x[0].transpose(0, 1).contiguous());
        Check("Contiguous() of contiguous", seed, [a], x => x[0].Contiguous().Exp(), x => x[0].contiguous().exp());
        Check("Clone()", seed, [a], x => x[0].Clone().Mul(x[0]), x => x[0].clone() * x[0]);
        Check("Detach() cuts the graph", seed, [a], x => x[0].Detach().Mul(x[0]), x => x[0].detach() * x[0]);
    }

    /// <summary>Attention-style head reshuffling: [B, T, H·D] → [B, H, T, D] → back, with slices in between.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void ChainsOfViews(int seed)
    {
        var rng = new Random(seed);
        int b = rng.Next(1, 4), t = rng.Next(1, 5), h = rng.Next(1, 4), d = rng.Next(1, 4);
        var a = Input.Random(seed, [b, t, h * d]);
        Check("split heads, merge heads", seed, [a],
            x => x[0].Reshape(b, t, h, d).Transpose(1, 2).Exp().Transpose(1, 2).Reshape(b, t, h * d),
            x => x[0].reshape(b, t, h, d).transpose(1, 2).exp().transpose(1, 2).reshape(b, t, h * d));
        Check("permute, slice, transpose, flatten", seed, [a],
            x => x[0].Reshape(b, t, h, d).Permute(2, 0, 3, 1).Slice(3, 0, t, 2).Transpose(0, 1).Flatten().Exp(),
            x => x[0].reshape(b, t, h, d).permute(2, 0, 3, 1).slice(3, 0, t, 2).transpose(0, 1).flatten().exp());
        Check("slice of slice with steps", seed, [a],
            x => x[0].Slice(2, 0, h * d, 2).Slice(1, t - 1, t).Unsqueeze(0).Expand(2, b, 1, (h * d + 1) / 2).Sum(0),
            x => x[0].slice(2, 0, h * d, 2).slice(1, t - 1, t, 1).unsqueeze(0).expand(2, b, 1, (h * d + 1) / 2)
                .sum(0L, false)); // a literal 0 would bind to sum(ScalarType)
    }
}
