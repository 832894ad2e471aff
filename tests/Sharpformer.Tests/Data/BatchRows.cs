using Sharpformer.Data;
using Sharpformer.Tensors;
using Sharpformer.Text;

namespace Sharpformer.Tests.Data;

/// <summary>Reads batches back into token lists, for comparing and measuring them.</summary>
internal static class BatchRows
{
    /// <summary>The rows of an id tensor [B, L] as integer arrays, padding included.</summary>
    public static int[][] Rows(Tensor ids)
    {
        int b = ids.Size(0), l = ids.Size(1);
        var values = ids.ToArray();
        return [.. Enumerable.Range(0, b).Select(r => values.AsSpan(r * l, l).ToArray().Select(v => (int)v).ToArray())];
    }

    /// <summary>The pairs a translation batch holds: each row without its padding, the target without bos.</summary>
    public static SequencePair[] Pairs(Batch batch) =>
        [.. Rows(batch.Source).Zip(Rows(batch.TargetInput), (s, t) => new SequencePair(
            [.. s.TakeWhile(id => id != SpecialTokens.Pad)], [.. t.Skip(1).TakeWhile(id => id != SpecialTokens.Pad)]))];

    /// <summary>Every id of the batch's three tensors, for exact comparisons.</summary>
    public static float[] Fingerprint(Batch batch) =>
        [batch.Size, batch.Source.Size(1), batch.TargetInput.Size(1), .. batch.Source.ToArray(), .. batch.TargetInput.ToArray(),
            .. batch.TargetOutput.ToArray()];

    /// <summary>Padding positions over all positions of the source and decoder-input tensors.</summary>
    public static (long Padding, long Positions) Padding(Batch batch)
    {
        long positions = (long)batch.Size * (batch.Source.Size(1) + batch.TargetInput.Size(1));
        return (positions - batch.SourceTokens - batch.TargetTokens, positions);
    }
}
