using Sharpformer.Generation;

namespace Sharpformer.Server;

/// <summary>
/// The decoding fields of a request, named as <c>sharpformer translate</c>'s flags: greedy, beam, sample, temperature,
/// top_k, top_p, seed, length_penalty and max_tokens; contradictions are refused as the command line refuses them.
/// </summary>
internal static class DecodingRequest
{
    /// <summary>The widest beam a request may ask for.</summary>
    public const int MaxBeam = 32;

    public static DecodingOptions Read(RequestFields fields, bool beamAllowed)
    {
        bool greedy = fields.Bool("greedy") ?? false, sample = fields.Bool("sample") ?? false;
        int? beam = beamAllowed ? fields.Int("beam", 1, MaxBeam) : null;
        float? temperature = fields.Float("temperature", 0f, 100f), topP = fields.Float("top_p", 1e-6f, 1f);
        int? topK = fields.Int("top_k", 0), maxTokens = fields.Int("max_tokens", 1);
        ulong? seed = fields.UInt64("seed");
        float? lengthPenalty = beamAllowed ? fields.Float("length_penalty", 0f, 5f) : null;
        if ((greedy ? 1 : 0) + (sample ? 1 : 0) + (beam is null ? 0 : 1) > 1)
        {
            throw RequestException.Invalid(beamAllowed ? "choose one of 'greedy', 'beam' and 'sample'"
                                                       : "choose one of 'greedy' and 'sample'");
        }
        if ((temperature is not null || topP is not null || topK is not null) && !sample)
            throw RequestException.Invalid("'temperature', 'top_k' and 'top_p' need \"sample\": true");
        var defaults = new DecodingOptions();
        var options = new DecodingOptions
        {
            Method = beam is not null ? DecodingMethod.Beam : sample ? DecodingMethod.Sample : DecodingMethod.Greedy,
            BeamSize = beam ?? defaults.BeamSize,
            LengthPenalty = lengthPenalty ?? defaults.LengthPenalty,
            Sampling = new SamplingOptions(temperature ?? 1f, topK ?? 0, topP ?? 1f),
            Seed = seed ?? 1,
            MaxOutputTokens = maxTokens,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw RequestException.Invalid(e.Message);
        }
        return options;
    }
}
