using Sharpformer.Kernels;

namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// A contiguous copy with every value rounded to the nearest bfloat16 (ties to even), not recorded: the
    /// working copy of a float32 master weight that a bf16 mixed-precision step multiplies with, for an op that
    /// multiplies it many times (the fused output layer and loss, once per block of rows). Its storage comes from the
    /// active arena. A Linear needs none: its GEMM rounds the weight as it packs it.
    /// </summary>
    internal Tensor BFloat16WorkingCopy()
    {
        var copy = Allocate(ShapeArray(), zeroed: false);
        if (IsContiguous)
        {
            BFloat16.Round(Storage, Offset, copy.Storage, Length);   // one pass: read, round, write
            return copy;
        }
        CopyTo(copy.AsSpan());
        BFloat16.Round(copy.Storage, 0, copy.Storage, copy.Length);
        return copy;
    }
}
