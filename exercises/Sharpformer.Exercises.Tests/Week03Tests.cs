using Sharpformer.Exercises.Week03;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Tests;

/// <summary>Grades week 3: the positional encoding and the backward of an embedding lookup.</summary>
[Trait("Week", "3")]
public sealed class Week03Tests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(50, 16)]
    [InlineData(7, 10)]
    public void PositionalEncodingMatchesThePaper(int length, int dim)
    {
        var expected = new double[length * dim];
        for (int p = 0; p < length; p++)
            for (int i = 0; i < dim; i++)
            {
                double angle = p / Math.Pow(10000, 2.0 * (i / 2) / dim);
                expected[p * dim + i] = i % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle);
            }
        Grading.Close(expected, Embeddings.PositionalEncoding(length, dim), $"PE [{length}, {dim}]", 1e-5f);
    }

    [Fact]
    public void PositionalEncodingMatchesPyTorch()
    {
        var pe = PyTorchNumbers.Entry("week03.positional")["pe"];
        Grading.Close(pe.Data, Embeddings.PositionalEncoding(pe.Shape[0], pe.Shape[1]), "PE computed with torch.sin, torch.cos", 1e-5f);
    }

    [Fact]
    public void EmbeddingBackwardAddsTheRowsOfRepeatedTokens()
    {
        const int vocab = 6, dim = 3;
        int[] ids = [4, 1, 4, 0, 4];
        float[] g = Grading.Normal(ids.Length * dim, 11);
        var table = Tensor.Zeros(vocab, dim).RequireGrad();
        table.IndexSelect(0, ids).Backward(Tensor.FromArray(g, ids.Length, dim));
        var grad = Embeddings.EmbeddingBackward(ids, g, vocab, dim);
        Grading.Close(table.Grad!.ToArray(), grad, "dL/dtable");
        for (int c = 0; c < dim; c++) Assert.Equal(0f, grad[2 * dim + c]);    // token 2 was never looked up
    }

    [Fact]
    public void EmbeddingBackwardMatchesPyTorch()
    {
        var e = PyTorchNumbers.Entry("week03.embedding");
        var gradTable = e["grad_table"];
        Grading.Close(gradTable.Data, Embeddings.EmbeddingBackward(e["ids"].Ints(), e["grad_out"].Data, gradTable.Shape[0],
            gradTable.Shape[1]), "torch: table.index_select(0, ids), table.grad");
    }
}
