namespace Sharpformer.Cli.Benchmarks;

/// <summary>
/// One product C[m, n] = op(A)[m, k]·op(B)[k, n] to time (C += … when <c>Accumulate</c>); <c>Use</c> says where training
/// meets it.
/// </summary>
internal readonly record struct GemmShape(int M, int K, int N, bool TransA, bool TransB, string Use, bool Accumulate = false);

/// <summary>
/// The products <c>sharpformer bench gemm</c> and <c>benchmarks/run-gemm-vs-openblas.sh</c> time (the benchmark project
/// compiles this file too, so both time the same list).
/// </summary>
internal static class GemmShapes
{
    /// <summary>
    /// Squares, then every product of a training step of the `big` configuration (1024 token rows, d_model 256,
    /// d_ff 1024, vocabulary 8000): each Linear's forward y = x·Wᵀ and backward dx = g·W and dW = gᵀ·x, the output layer
    /// both as a Linear over all rows and as the fused loss computes it (<c>CrossEntropy.LinearLoss</c>: blocks of 131 rows,
    /// about a million logits, whose dW products accumulate).
    /// </summary>
    public static readonly GemmShape[] Default =
    [
        new(512, 512, 512, false, false, "square"), new(1024, 1024, 1024, false, false, "square"),
        new(2048, 2048, 2048, false, false, "square"), new(1024, 1024, 1024, false, true, "square"),
        .. Linear(256, 768, "attention in-projection"), .. Linear(256, 256, "attention out-projection"),
        .. Linear(256, 1024, "feed-forward 1"), .. Linear(1024, 256, "feed-forward 2"), .. Linear(256, 8000, "output projection"),
        new(LossBlock, 256, 8000, false, true, "fused loss block: z = h·Wᵀ"),
        new(LossBlock, 8000, 256, false, false, "fused loss block: dh = dz·W"),
        new(8000, LossBlock, 256, true, false, "fused loss block: dW += dzᵀ·h", Accumulate: true),
    ];

    // Rows per block of the fused output layer and loss over 8000 classes (2^20 / 8000).
    private const int LossBlock = 131;

    private static GemmShape[] Linear(int inFeatures, int outFeatures, string name) =>
    [
        new(1024, inFeatures, outFeatures, false, true, name + ": x·Wᵀ"),
        new(1024, outFeatures, inFeatures, false, false, name + ": dx = g·W"),
        new(outFeatures, 1024, inFeatures, true, false, name + ": dW = gᵀ·x"),
    ];
}
