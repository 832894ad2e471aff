using Sharpformer.IO;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Training;

/// <summary>
/// An exponential moving average of a model's trained weights, ema ← d·ema + (1 − d)·w after every update, with the
/// decay warmed up as d = min(decay, (1 + n) / (10 + n)) after n updates so that the first updates are not swamped
/// by the random initialization (TensorFlow's <c>ExponentialMovingAverage</c> with <c>num_updates</c>).
/// </summary>
internal sealed class ExponentialMovingAverage
{
    /// <summary>The prefix of the averages' names in a checkpoint (beside "model." and "optim.").</summary>
    public const string Prefix = "ema.";

    private readonly List<(string Name, Tensor Weight, float[] Average)> _slots;
    private readonly float _decay;

    /// <summary>An average of <paramref name="model"/>'s trained parameters, starting at their current values.</summary>
    public ExponentialMovingAverage(SequenceModel model, float decay)
    {
        _decay = decay;
        _slots = [.. model.NamedParameters().Where(p => p.Value.RequiresGrad).Select(p => (p.Name, p.Value, p.Value.ToArray()))];
    }

    /// <summary>Moves the average towards the weights after update number <paramref name="updates"/> (1 for the first).</summary>
    public void Update(int updates)
    {
        float d = MathF.Min(_decay, (1f + updates) / (10f + updates));
        foreach (var (_, weight, average) in _slots)
            System.Numerics.Tensors.TensorPrimitives.Lerp(average, weight.AsSpan(), 1 - d, average);   // average + (w − average)·(1 − d)
    }

    /// <summary>The averaged weights under the parameters' names (copies).</summary>
    public IEnumerable<(string Name, Tensor Value)> Weights =>
        _slots.Select(s => (s.Name, Tensor.FromArray(s.Average, s.Weight.ShapeArray())));

    /// <summary>The averages as checkpoint tensors, named <see cref="Prefix"/> + parameter name.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> State =>
        Weights.Select(w => new KeyValuePair<string, Tensor>(Prefix + w.Name, w.Value));

    /// <summary>
    /// Restores the averages from a checkpoint. One written without an average (the option added on resume) leaves the
    /// average at the resumed weights; one with averages must hold each, with its parameter's size.
    /// </summary>
    public void Load(SafeTensorsReader reader)
    {
        var entries = reader.Entries.Where(e => e.Name.StartsWith(Prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Name[Prefix.Length..], StringComparer.Ordinal);
        if (entries.Count == 0)
        {
            foreach (var (_, weight, average) in _slots) weight.AsSpan().CopyTo(average);
            return;
        }
        foreach (var (name, _, average) in _slots)
        {
            if (!entries.TryGetValue(name, out var entry) || entry.Count != average.Length)
                throw new InvalidFileException(reader.Source, $"its moving average of {name} is missing or not the parameter's size");
            reader.ReadInto(entry, average);
        }
    }
}
