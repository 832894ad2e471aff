using System.CommandLine;
using Sharpformer.Generation;

namespace Sharpformer.Cli.Commands;

/// <summary>
/// The flags that choose a decoding strategy, shared by translate, generate and eval; they set a <see cref="DecodingOptions"/>
/// (and <c>--threads</c>, the threads decoding runs on). Without <paramref name="beamSearch"/> (a language model),
/// <c>--beam</c> and <c>--length-penalty</c> are not offered.
/// </summary>
internal sealed class DecodingFlags(bool beamSearch = true)
{
    public Option<bool> Greedy { get; } = new("--greedy") { Description = "Take the most likely token each step (the default)." };
    public Option<int> Beam { get; } = CliOptions.Int("--beam", "Beam search with N beams.", null);
    public Option<bool> Sample { get; } =
        new("--sample") { Description = "Sample each token (see --temperature, --top-k, --top-p, --seed)." };
    public Option<float> Temperature { get; } = CliOptions.Float("--temperature", "Sampling temperature (0: greedy).", 1f, 0f, 100f);
    public Option<int> TopK { get; } = CliOptions.Int("--top-k", "Sample among the N most likely tokens (0: all).", 0, minimum: 0);
    public Option<float> TopP { get; } =
        CliOptions.Float("--top-p", "Sample among the most likely tokens holding this probability.", 1f, 1e-6f, 1f);
    public Option<int> Seed { get; } = CliOptions.Int("--seed", "Seed of sampling.", 1, minimum: 0);
    public Option<float> LengthPenalty { get; } =
        CliOptions.Float("--length-penalty", "Beam search's length penalty α (GNMT).", 0.6f, 0f, 5f);
    public Option<int> Threads { get; } = CliOptions.Threads();

    public void AddTo(Command command)
    {
        Option[] options = beamSearch
            ? [Greedy, Beam, Sample, Temperature, TopK, TopP, Seed, LengthPenalty, Threads]
            : [Greedy, Sample, Temperature, TopK, TopP, Seed, Threads];
        foreach (var option in options) command.Options.Add(option);
    }

    /// <summary>The decoding the parsed flags ask for (and the threads set from --threads); contradictory flags are an error.</summary>
    public DecodingOptions Read(ParseResult result)
    {
        Kernels.Parallelism.Threads = result.GetValue(Threads);
        bool beam = result.GetResult(Beam) is { Implicit: false }, sample = result.GetValue(Sample), greedy = result.GetValue(Greedy);
        if ((beam ? 1 : 0) + (sample ? 1 : 0) + (greedy ? 1 : 0) > 1)
            throw new ArgumentException("choose one of --greedy, --beam K and --sample");
        bool samplingOption = result.GetResult(Temperature) is { Implicit: false } || result.GetResult(TopK) is { Implicit: false }
            || result.GetResult(TopP) is { Implicit: false };
        if (samplingOption && !sample) throw new ArgumentException("--temperature, --top-k and --top-p need --sample");
        return new DecodingOptions
        {
            Method = beam ? DecodingMethod.Beam : sample ? DecodingMethod.Sample : DecodingMethod.Greedy,
            BeamSize = beam ? result.GetValue(Beam) : 4,
            LengthPenalty = result.GetValue(LengthPenalty),
            Sampling = new SamplingOptions(result.GetValue(Temperature), result.GetValue(TopK), result.GetValue(TopP)),
            Seed = (ulong)result.GetValue(Seed),
        };
    }
}
