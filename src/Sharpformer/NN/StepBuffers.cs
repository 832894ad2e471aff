namespace Sharpformer.NN;

/// <summary>
/// Working memory for decoding steps of a batch of rows (one position per row), kept from step to step so
/// that a step allocates nothing: the residual stream, a sublayer's input and output, the attention
/// projections and heads, the feed-forward hidden layer and the norms' statistics.
/// </summary>
internal sealed class StepBuffers
{
    private AttentionMask? _maskSource;
    private float[] _mask = [];

    public StepBuffers(int rows, int width, int hidden)
    {
        (Rows, Width, Hidden) = (rows, width, hidden);
        X = new float[rows * width];
        Normed = new float[rows * width];
        Sublayer = new float[rows * width];
        Projected = new float[rows * 3 * width];
        Heads = new float[rows * width];
        HiddenLayer = new float[rows * hidden];
        Mean = new float[rows];
        Rstd = new float[rows];
    }

    /// <summary>Rows B.</summary>
    public int Rows { get; }

    /// <summary>Model width E.</summary>
    public int Width { get; }

    /// <summary>Feed-forward width (0 when only attention runs on these buffers).</summary>
    public int Hidden { get; }

    /// <summary>The residual stream x: [B, E].</summary>
    public float[] X { get; }

    /// <summary>A norm's output: [B, E].</summary>
    public float[] Normed { get; }

    /// <summary>A sublayer's output before the residual connection: [B, E].</summary>
    public float[] Sublayer { get; }

    /// <summary>Attention in-projections: [B, 3E] (q | k | v), or [B, E] for queries alone.</summary>
    public float[] Projected { get; }

    /// <summary>Attention heads side by side: [B, E].</summary>
    public float[] Heads { get; }

    /// <summary>The feed-forward hidden layer: [B, d_ff].</summary>
    public float[] HiddenLayer { get; }

    /// <summary>Per-row mean and reciprocal standard deviation of the last norm: [B] each.</summary>
    public float[] Mean { get; }

    /// <inheritdoc cref="Mean"/>
    public float[] Rstd { get; }

    /// <summary>These buffers, or new ones when they are missing or sized for other rows or widths.</summary>
    public static StepBuffers Fit(StepBuffers? buffers, int rows, int width, int hidden) =>
        buffers is not null && buffers.Rows == rows && buffers.Width == width && buffers.Hidden >= hidden
            ? buffers
            : new StepBuffers(rows, width, hidden);

    /// <summary>
    /// <paramref name="mask"/> broadcast to [B, heads, keys] and laid out densely for
    /// <see cref="Kernels.AttentionStep"/> (empty for no mask); kept while the same mask comes back.
    /// </summary>
    public ReadOnlySpan<float> MaskRows(AttentionMask? mask, int heads, int keys)
    {
        if (mask is null) return [];
        if (!ReferenceEquals(mask, _maskSource) || _mask.Length != Rows * heads * keys)
        {
            _mask = mask.Additive.Expand(Rows, heads, 1, keys).ToArray();
            _maskSource = mask;
        }
        return _mask;
    }
}
