using System.Globalization;
using Sharpformer.NN;
using Sharpformer.Tensors;
using TorchSharp;
using Xunit.Sdk;
using static Sharpformer.Parity.Tests.OpParity;
using static Sharpformer.Parity.Tests.TorchOracle;
using TorchModule = TorchSharp.torch.nn.Module;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

/// <summary>One leaf fed to both sides: a Sharpformer tensor and the same values as a float64 libtorch tensor.</summary>
public sealed record Leaf(string Name, Tensor Ours, TorchTensor Theirs)
{
    /// <summary>Uniform values in [low, high); with <paramref name="grad"/> both sides track gradients and they are compared.</summary>
    public static Leaf Random(string name, int seed, int[] shape, float low = -1f, float high = 1f, bool grad = true)
    {
        float[] data = RandomFloats(seed, Count(shape), low, high);
        return new(name, Tensor.FromArray(data, shape).RequireGrad(grad), ToTorch(data, shape, float64: true, requiresGrad: grad));
    }

    /// <summary>Token ids: a float tensor of whole numbers for Sharpformer, int64 for libtorch (never differentiated).</summary>
    public static Leaf Ids(string name, int[] ids, int[] shape) =>
        new(name, Tensor.FromArray(ids.Select(i => (float)i).ToArray(), shape), ToTorch(ids.Select(i => (long)i).ToArray(), shape));
}

/// <summary>One result of both sides; with <paramref name="Backprop"/> random weights are backpropagated from it.</summary>
public sealed record Result(string Name, Tensor Ours, TorchTensor Theirs, bool Backprop = true);

/// <summary>
/// Parity of whole modules: Sharpformer's parameters are copied by name into the libtorch module (float64),
/// both run the same inputs, and the outputs, the input gradients and every parameter's gradient are
/// compared after backpropagating the same random output weights (loss = Σ out·W).
/// </summary>
public static class ModuleParity
{
    /// <summary>
    /// Adds U(−spread, spread) to every parameter (through LoadStateDict), so that the zero biases and unit
    /// gains of a fresh module become generic values that would reveal a mixed-up parameter.
    /// </summary>
    public static void Perturb(Module module, int seed, float spread = 0.1f)
    {
        var state = new Dictionary<string, Tensor>();
        int k = 0;
        foreach (var (name, p) in module.NamedParameters())
        {
            float[] values = p.ToArray();
            float[] noise = RandomFloats(seed * 7919 + 31 * k++, values.Length, -spread, spread);
            for (int i = 0; i < values.Length; i++) values[i] += noise[i];
            state[name] = Tensor.FromArray(values, p.ShapeArray());
        }
        module.LoadStateDict(state, strict: true);
    }

    /// <summary>
    /// Converts <paramref name="theirs"/> to float64 and writes every entry of Sharpformer's state dict into
    /// the libtorch parameter of the same name (or the name <paramref name="map"/> gives). Fails on a name
    /// torch lacks, on a shape mismatch, and on a torch parameter left unwritten.
    /// </summary>
    public static void CopyWeights(Module ours, TorchModule theirs, Func<string, string>? map = null)
    {
        theirs.to(torch.ScalarType.Float64);
        var target = TorchParameters(theirs);
        var written = new HashSet<string>();
        using (torch.no_grad())
        {
            foreach (var (name, value) in ours.StateDict())
            {
                string torchName = map?.Invoke(name) ?? name;
                if (!target.TryGetValue(torchName, out var p))
                    throw new XunitException($"CopyWeights: the torch module has no parameter '{torchName}' (Sharpformer's '{name}'); " +
                        $"it has [{string.Join(", ", target.Keys)}]");
                int[] torchShape = ShapeOf(p);
                if (!torchShape.SequenceEqual(value.ShapeArray()))
                    throw new XunitException($"CopyWeights: '{name}' is {Shapes.Format(value.Shape)} in Sharpformer " +
                        $"but [{string.Join(", ", torchShape)}] in torch");
                p.copy_(ToTorch(value.ToArray(), value.ShapeArray(), float64: true));
                written.Add(torchName);
            }
        }
        var untouched = target.Keys.Where(n => !written.Contains(n)).ToList();
        if (untouched.Count > 0)
            throw new XunitException($"CopyWeights: torch parameters with no Sharpformer counterpart: [{string.Join(", ", untouched)}]");
    }

    /// <summary>A torch module's parameters by dotted name.</summary>
    public static Dictionary<string, TorchTensor> TorchParameters(TorchModule module)
    {
        var result = new Dictionary<string, TorchTensor>();
        foreach (var (name, p) in module.named_parameters()) result[name] = p;
        return result;
    }

    /// <summary>
    /// Compares <paramref name="results"/>, then backpropagates random weights from each result marked
    /// Backprop (ours per output; torch through the weighted sum) and compares the gradients of the
    /// differentiable <paramref name="leaves"/> and of every Sharpformer parameter with the torch parameter
    /// of the same (mapped) name. Tolerance per element: |ours − torch| ≤ atol·max(1, max|torch|) + rtol·|torch|.
    /// </summary>
    public static void Verify(string what, int seed, IReadOnlyList<Result> results, IReadOnlyList<Leaf> leaves,
        Module? ours = null, TorchModule? theirs = null, Func<string, string>? map = null,
        double rtol = 1e-5, double atol = 1e-5, double? gradRtol = null, double? gradAtol = null)
    {
        string label = $"{what} (seed {seed})";
        foreach (var r in results)
            Compare(r.Theirs, r.Ours.ToArray(), r.Ours.ShapeArray(), rtol, atol, $"{label}: {r.Name}", what, "output");

        TorchTensor? loss = null;
        int k = 0;
        foreach (var r in results.Where(r => r.Backprop))
        {
            int[] shape = r.Ours.ShapeArray();
            float[] w = RandomFloats(seed * 1013 + 57 + k++, Count(shape));
            r.Ours.Backward(Tensor.FromArray(w, shape));
            var term = (r.Theirs * ToTorch(w, shape, float64: true)).sum();
            loss = loss is null ? term : loss + term;
        }
        if (loss is null) return;
        loss.backward();

        double gr = gradRtol ?? rtol, ga = gradAtol ?? atol;
        foreach (var leaf in leaves.Where(l => l.Ours.RequiresGrad))
        {
            var actual = leaf.Ours.Grad ?? throw new XunitException($"{label}: Sharpformer computed no gradient for input {leaf.Name}");
            Compare(leaf.Theirs.grad ?? torch.zeros_like(leaf.Theirs), actual.ToArray(), actual.ShapeArray(), gr, ga,
                $"{label}: gradient of input {leaf.Name}", what, "input grad");
        }
        if (ours is null || theirs is null) return;
        var target = TorchParameters(theirs);
        foreach (var (name, p) in ours.NamedParameters())
        {
            string torchName = map?.Invoke(name) ?? name;
            if (!p.RequiresGrad)
            {
                // A frozen parameter (beside a LoRA adapter, say): neither side may compute a gradient for it.
                Assert.True(p.Grad is null && target[torchName].grad is null, $"{label}: frozen parameter {name} got a gradient");
                continue;
            }
            var expected = target[torchName].grad ?? torch.zeros_like(target[torchName]);
            var actual = p.Grad ?? throw new XunitException($"{label}: Sharpformer computed no gradient for parameter {name}");
            Compare(expected, actual.ToArray(), actual.ShapeArray(), gr, ga, $"{label}: gradient of {name}", what, "param grad");
        }
    }

    static void Compare(TorchTensor expected, float[] actual, int[] shape, double rtol, double atol, string label, string group,
        string kind)
    {
        Record(group, kind, ScaledError(ToDoubles(expected), actual));
        AssertScaledClose(expected, actual, shape, rtol, atol, label);
    }

    /// <summary>max |ours − torch| / max(1, max |torch|): the quantity the atol bound limits.</summary>
    public static double ScaledError(double[] expected, float[] actual)
    {
        double scale = 1, worst = 0;
        foreach (double e in expected)
            if (double.IsFinite(e)) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length && i < actual.Length; i++)
            if (double.IsFinite(expected[i])) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        return worst / scale;
    }

    static readonly Lock LogLock = new();

    /// <summary>Appends the measured error to the file named by SHARPFORMER_PARITY_ERRORS, if set (for reports).</summary>
    static void Record(string group, string kind, double error)
    {
        string? path = Environment.GetEnvironmentVariable("SHARPFORMER_PARITY_ERRORS");
        if (string.IsNullOrEmpty(path)) return;
        lock (LogLock)
            File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture, $"{group}\t{kind}\t{error:G3}\n"));
    }

    // ---- masks and inputs shared by the attention and Transformer tests -----------------------------

    /// <summary>
    /// Padded token ids [B, L]: row b keeps lengths[b] tokens in [1, vocab) and pads the rest with
    /// the padding id 0 (a row is never all padding).
    /// </summary>
    public static int[] PaddedIds(int seed, int[] lengths, int length, int vocab)
    {
        var rng = new System.Random(seed);
        var ids = new int[lengths.Length * length];
        for (int b = 0; b < lengths.Length; b++)
            for (int i = 0; i < length; i++)
                ids[b * length + i] = i < lengths[b] ? rng.Next(1, vocab) : 0;
        return ids;
    }

    /// <summary>Torch's key_padding_mask for pad id 0: bool [B, L], true at padding.</summary>
    public static TorchTensor TorchPadding(int[] ids, int batch, int length) =>
        ToTorch(ids.Select(i => (long)i).ToArray(), [batch, length]).eq(0);

    /// <summary>The causal mask in torch's float form: [T, T], −∞ above the diagonal, 0 elsewhere (float64).</summary>
    public static TorchTensor TorchCausal(int length) =>
        torch.triu(torch.full(length, length, double.NegativeInfinity, dtype: torch.ScalarType.Float64), 1);

    /// <summary>Embeddings [B, L, d] plus the positional <paramref name="table"/>'s first L rows, or unchanged without one.</summary>
    public static TorchTensor AddPositions(TorchTensor x, TorchTensor? table) => table is null ? x : x + table.narrow(0, 0, x.shape[1]);

    /// <summary>The sinusoidal table in float64, computed in torch from the paper's formula: [maxLength, dim].</summary>
    public static TorchTensor TorchPositionalTable(int maxLength, int dim)
    {
        var pos = torch.arange(maxLength, dtype: torch.ScalarType.Float64).unsqueeze(1);         // [L, 1]
        var column = torch.arange(dim, dtype: torch.ScalarType.Float64);                         // j
        var pairIndex = torch.floor(column / 2) * 2;                                               // 2i for both 2i and 2i+1
        var angle = pos * torch.exp(pairIndex / dim * -Math.Log(10000.0));                        // pos / 10000^(2i/d): [L, dim]
        var even = (torch.remainder(column, 2) == 0).unsqueeze(0);
        return torch.where(even, torch.sin(angle), torch.cos(angle));
    }
}
