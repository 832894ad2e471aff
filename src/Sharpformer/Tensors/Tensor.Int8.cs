using Sharpformer.Autograd;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// this·[W₀; W₁; …]ᵀ + bias (max(0, ·) with <paramref name="relu"/>) for int8 row blocks W_i: [out_i, in] that stack
    /// into the layer's weight: this: [..., in] → [..., Σ out_i]. Inference only: nothing is recorded for gradients.
    /// </summary>
    /// <exception cref="InvalidOperationException">The input requires grad while gradients are being recorded.</exception>
    internal unsafe Tensor LinearInt8(IReadOnlyList<QuantizedMatrix> blocks, Tensor? bias, bool relu)
    {
        int inFeatures = blocks[0].Columns, outFeatures = blocks.Sum(b => b.Rows);
        if (Rank == 0 || _shape[^1] != inFeatures || blocks.Any(b => b.Columns != inFeatures)
            || (bias is not null && (bias.Rank != 1 || bias.Length != outFeatures)))
            throw new ShapeMismatchException(
                $"Linear: input {Shapes.Format(_shape)} and int8 weight [{outFeatures}, {inFeatures}] do not fit ([..., in], [out, in])");
        if (RequiresGrad && GradMode.IsEnabled)
            throw new InvalidOperationException("Linear: int8 weights are for inference; a quantized model cannot pass gradients back");
        int rows = inFeatures == 0 ? 0 : Length / inFeatures;
        var x = Detach().Contiguous();                         // x: [N, in]
        var y = Allocate([.. _shape[..^1], outFeatures], zeroed: false);
        fixed (float* px = x.Storage, py = y.Storage)
            QuantizedMatrix.Affine(blocks, px + x.Offset, rows, bias is null ? [] : bias.Contiguous().AsSpan(), py);
        if (relu) System.Numerics.Tensors.TensorPrimitives.Max(y.AsSpan(), 0f, y.AsSpan());
        return y;
    }
}
