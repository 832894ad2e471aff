namespace Sharpformer.Generation;

/// <summary>How each output token is chosen.</summary>
public enum DecodingMethod
{
    /// <summary>The most likely token each step.</summary>
    Greedy,

    /// <summary>Beam search: the best of <see cref="DecodingOptions.BeamSize"/> partial outputs kept each step.</summary>
    Beam,

    /// <summary>A token drawn each step under <see cref="DecodingOptions.Sampling"/>.</summary>
    Sample,
}

/// <summary>
/// How to decode: greedy (the default), beam search or sampling, and how long an output may grow. One
/// type for the library and the command line, whose flags set it and whose messages <see cref="Validate"/> gives.
/// </summary>
public sealed record DecodingOptions
{
    /// <summary>Output tokens per text when <see cref="MaxOutputTokens"/> is not set (and the model allows it).</summary>
    public const int DefaultMaxOutputTokens = 1024;

    /// <summary>Greedy, beam search or sampling.</summary>
    public DecodingMethod Method { get; init; } = DecodingMethod.Greedy;

    /// <summary>Beams kept by beam search.</summary>
    public int BeamSize { get; init; } = 4;

    /// <summary>Beam search's length penalty α (GNMT): scores are divided by ((5 + length) / 6)^α.</summary>
    public float LengthPenalty { get; init; } = 0.6f;

    /// <summary>Temperature, top-k and top-p of sampling.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Seed of sampling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Most tokens per output; null: the model's maximum length less bos and eos, at most
    /// <see cref="DefaultMaxOutputTokens"/>.
    /// </summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static DecodingOptions Greedy { get; } = new();

    /// <summary>Beam search with <paramref name="beamSize"/> beams.</summary>
    public static DecodingOptions Beam(int beamSize, float lengthPenalty = 0.6f) =>
        new() { Method = DecodingMethod.Beam, BeamSize = beamSize, LengthPenalty = lengthPenalty };

    /// <summary>Sampling under <paramref name="sampling"/> (temperature 1, no top-k or top-p by default).</summary>
    public static DecodingOptions Sample(SamplingOptions? sampling = null, ulong seed = 1) =>
        new() { Method = DecodingMethod.Sample, Sampling = sampling ?? new(), Seed = seed };

    /// <summary>A short name for reports: "greedy", "beam 4" or "sample".</summary>
    public string Name => Method switch
    {
        DecodingMethod.Beam => $"beam {BeamSize}",
        DecodingMethod.Sample => "sample",
        _ => "greedy",
    };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting that means nothing.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw new ArgumentException($"decoding method {(int)Method} is not greedy, beam or sample");
        if (Method == DecodingMethod.Beam && BeamSize < 1) throw new ArgumentException($"beam size {BeamSize} must be at least 1");
        if (!(LengthPenalty >= 0f) || float.IsInfinity(LengthPenalty))
            throw new ArgumentException($"length penalty {LengthPenalty} must be 0 or more");
        if (MaxOutputTokens < 1) throw new ArgumentException($"max output tokens {MaxOutputTokens} must be at least 1");
        Sampling.Validate();
    }

    /// <summary>The output limit for a model of <paramref name="maxLength"/> positions (bos and eos take two).</summary>
    internal int OutputLimit(int maxLength) => Math.Min(MaxOutputTokens ?? DefaultMaxOutputTokens, maxLength - 2);
}
