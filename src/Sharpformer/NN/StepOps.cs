using System.Numerics;
using System.Runtime.CompilerServices;
using Sharpformer.Kernels;
using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>
/// The layers' forward passes on plain rows, for decoding steps: each computes what the corresponding
/// tensor op computes, with the same kernels and in the same order, but writes into buffers it is
/// given and records nothing for gradients.
/// </summary>
internal static class StepOps
{
    /// <summary>
    /// y: [rows, out] = x: [rows, in]·Wᵀ + b (W: [out, in]), as <see cref="Tensor.Linear"/>: the bias is
    /// written first, then the product added.
    /// </summary>
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int rows,
        int inFeatures, int outFeatures)
    {
        if (!bias.IsEmpty)
            for (int r = 0; r < rows; r++) bias.CopyTo(y.Slice(r * outFeatures, outFeatures));
        Gemm.Sgemm(false, true, rows, outFeatures, inFeatures, 1f, x, inFeatures, weight, inFeatures,
            bias.IsEmpty ? 0f : 1f, y, outFeatures);
    }

    /// <summary>
    /// y: [rows, Σ out] = x: [rows, in]·[W₀; W₁; …]ᵀ + b for int8 row blocks W_i: [out_i, in], as <see cref="Tensor.LinearInt8"/>.
    /// </summary>
    public static unsafe void AffineInt8(ReadOnlySpan<float> x, IReadOnlyList<QuantizedMatrix> blocks, ReadOnlySpan<float> bias,
        Span<float> y, int rows)
    {
        fixed (float* px = x, py = y) QuantizedMatrix.Affine(blocks, px, rows, bias, py);
    }

    /// <summary><paramref name="layer"/> on rows: x: [rows, in] → y: [rows, out].</summary>
    public static void Linear(Linear layer, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        if (layer.Split is not null)
            throw new InvalidOperationException(
                "Linear: a tensor-parallel rank holds only a share of the layer; decode with the saved model");
        var bias = layer.Bias is null ? [] : layer.Bias.AsSpan();
        if (layer.Int8Weight is { } q) AffineInt8(x, [q], bias, y, rows);
        else Affine(x, layer.Weight.AsSpan(), bias, y, rows, layer.InFeatures, layer.OutFeatures);
        if (layer.Lora is { } adapter) AddLora(adapter, x, y, rows, layer.OutFeatures);
    }

    /// <summary>
    /// y += (α/r)·x·Aᵀ·Bᵀ for an adapter's rows: x: [rows, in], y: [rows, out] at row stride <paramref name="ldy"/>
    /// (as <see cref="LoraAdapter.Forward"/> at inference, dropout off).
    /// </summary>
    public static void AddLora(LoraAdapter adapter, ReadOnlySpan<float> x, Span<float> y, int rows, int ldy)
    {
        int r = adapter.Rank;
        Span<float> low = rows * r <= 4096 ? stackalloc float[rows * r] : new float[rows * r];   // x·Aᵀ: [rows, r]
        Gemm.Sgemm(false, true, rows, r, adapter.InFeatures, 1f, x, adapter.InFeatures, adapter.A.Weight.AsSpan(), adapter.InFeatures,
            0f, low, r);
        Gemm.Sgemm(false, true, rows, adapter.OutFeatures, r, adapter.Scaling, low, r, adapter.B.Weight.AsSpan(), r, 1f, y, ldy);
    }

    // row += (α/r)·B[token]·A: the adapter's update of one embedding row.
    private static void AddLoraRow(LoraAdapter adapter, int token, Span<float> row)
    {
        var b = adapter.B.Weight.AsSpan().Slice(token * adapter.Rank, adapter.Rank);
        var a = adapter.A.Weight.AsSpan();
        for (int k = 0; k < adapter.Rank; k++)
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(a.Slice(k * row.Length, row.Length), b[k] * adapter.Scaling, row, row);
    }

    /// <summary><paramref name="norm"/> on rows: x, y: [rows, width] (distinct), statistics into the buffers'.</summary>
    public static void Norm(LayerNorm norm, ReadOnlySpan<float> x, Span<float> y, StepBuffers buffers) =>
        Kernels.LayerNorm.ForwardRows(x, norm.Weight.AsSpan(), norm.Bias.AsSpan(), buffers.Rows, buffers.Width, norm.Eps, y,
            buffers.Mean, buffers.Rstd);

    /// <summary>x ← x + sublayer: the pre-norm residual connection.</summary>
    public static void AddResidual(StepBuffers buffers) => AddInPlace(buffers.X, buffers.Sublayer);

    /// <summary>x ← norm(x + sublayer): the post-norm residual connection.</summary>
    public static void AddNorm(LayerNorm norm, StepBuffers buffers)
    {
        AddResidual(buffers);
        NormInPlace(norm, buffers);
    }

    /// <summary>x ← norm(x).</summary>
    public static void NormInPlace(LayerNorm norm, StepBuffers buffers)
    {
        Norm(norm, buffers.X, buffers.Normed, buffers);
        buffers.Normed.CopyTo(buffers.X, 0);
    }

    /// <summary>The feed-forward block on rows: x: [rows, d_model] → y: [rows, d_model], through the buffers' hidden layer.</summary>
    public static void FeedForward(FeedForward block, ReadOnlySpan<float> x, Span<float> y, StepBuffers buffers)
    {
        var hidden = buffers.HiddenLayer.AsSpan(0, buffers.Rows * block.Linear1.OutFeatures);
        Linear(block.Linear1, x, hidden, buffers.Rows);
        if (block.Activation == ActivationKind.Relu) Relu(hidden);
        else Kernels.Gelu.Forward(hidden, hidden, tanh: false);
        Linear(block.Linear2, hidden, y, buffers.Rows);
    }

    /// <summary>
    /// x: [B, L, d] plus the sinusoidal positions, or x itself for a RoPE model (its attention rotates), in both
    /// cases refusing more positions than the model's maximum length.
    /// </summary>
    public static Tensor AddPositions(PositionalKind kind, SinusoidalPositionalEncoding positions, Tensor x)
    {
        if (kind == PositionalKind.Sinusoidal) return positions.Forward(x);
        if (x.Size(-2) > positions.MaxLength)
            throw new ArgumentException(
                $"PositionalEncoding: positions up to {x.Size(-2)} exceed the maximum length {positions.MaxLength}");
        return x;
    }

    /// <summary>
    /// x[r] ← embedding[tokens[r]]·scale (+ PE[position] for sinusoidal positions), as <see cref="Transformer"/>'s
    /// embedding of one position (dropout is off at inference).
    /// </summary>
    public static void Embed(Embedding embedding, float scale, SinusoidalPositionalEncoding positions, PositionalKind kind, int position,
        ReadOnlySpan<int> tokens, Span<float> x)
    {
        if (position < 0 || position >= positions.MaxLength)
            throw new ArgumentException(
                $"PositionalEncoding: positions up to {position + 1} exceed the maximum length {positions.MaxLength}");
        int width = embedding.Dim;
        var table = embedding.Int8Weight is null ? embedding.Weight.AsSpan() : [];
        var pe = kind == PositionalKind.Sinusoidal ? positions.Row(position) : [];
        for (int r = 0; r < tokens.Length; r++)
        {
            if (tokens[r] < 0 || tokens[r] >= embedding.Count)
                throw new IndexOutOfRangeException($"Embedding: token {tokens[r]} is out of range for a vocabulary of {embedding.Count}");
            var row = x.Slice(r * width, width);
            if (embedding.Int8Weight is { } int8) int8.DequantizeRow(tokens[r], row);
            else table.Slice(tokens[r] * width, width).CopyTo(row);
            if (embedding.Lora is { } lora) AddLoraRow(lora, tokens[r], row);
            ScaleInPlace(row, scale);
            if (!pe.IsEmpty) AddInPlace(row, pe);
        }
    }

    /// <summary>Buffers for the rows of x: [B, 1, width], holding them in <see cref="StepBuffers.X"/>.</summary>
    public static StepBuffers Input(Tensor x, int width, int hidden)
    {
        if (x.Rank != 3 || x.Size(1) != 1 || x.Size(2) != width)
            throw new ShapeMismatchException(
                $"DecodeStep: a step takes one position per row, [B, 1, {width}], got {Shapes.Format(x.Shape)}");
        var buffers = new StepBuffers(x.Size(0), width, hidden);
        x.ToArray().CopyTo(buffers.X, 0);
        return buffers;
    }

    /// <summary>Rows [B, width] of the buffers as a new tensor [B, 1, width].</summary>
    public static Tensor Output(float[] rows, StepBuffers buffers) => Tensor.FromArray(rows, buffers.Rows, 1, buffers.Width);

    /// <summary>Token ids held in a tensor [B] (or [B, 1]) as integers.</summary>
    public static int[] Tokens(Tensor tokens)
    {
        if (tokens.Rank > 2 || (tokens.Rank == 2 && tokens.Size(1) != 1))
            throw new ShapeMismatchException($"DecodeStep: expected one token per row, [B], got {Shapes.Format(tokens.Shape)}");
        var values = tokens.ToArray();
        var ids = new int[values.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (int)values[i];
            if (ids[i] != values[i]) throw new ArgumentException($"DecodeStep: token {values[i]} is not a whole number");
        }
        return ids;
    }

    // The elementwise steps as plain vector loops, compiled optimized from the first call (the generic
    // TensorPrimitives methods are slow until the runtime recompiles them, which a short decode never sees).

    // x += y
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddInPlace(Span<float> x, ReadOnlySpan<float> y)
    {
        int i = 0;
        for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            (new Vector<float>(x[i..]) + new Vector<float>(y[i..])).CopyTo(x[i..]);
        for (; i < x.Length; i++) x[i] += y[i];
    }

    // x *= s
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleInPlace(Span<float> x, float s)
    {
        int i = 0;
        for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            (new Vector<float>(x[i..]) * s).CopyTo(x[i..]);
        for (; i < x.Length; i++) x[i] *= s;
    }

    // x = max(x, 0), NaN staying NaN (as TensorPrimitives.Max)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Relu(Span<float> x)
    {
        int i = 0;
        for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            Vector.Max(new Vector<float>(x[i..]), Vector<float>.Zero).CopyTo(x[i..]);
        for (; i < x.Length; i++) x[i] = MathF.Max(x[i], 0f);
    }

    /// <summary>Throws if a dropout inside <paramref name="module"/> is active: steps compute as at inference.</summary>
    public static void RequireInference(Module module, string what)
    {
        bool dropping = false;
        module.Apply(m => dropping |= m is Dropout { IsTraining: true, P: > 0 });
        if (dropping)
            throw new InvalidOperationException(
                $"{what}: incremental decoding runs at inference only; call Eval() first (dropout is active in training mode)");
    }
}
