using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.Lora;

/// <summary>A LoRA run's directory written in a moment: rank-2 adapters on a saved model, with an effect (B is not zero).</summary>
internal static class LoraRunFixture
{
    /// <summary>Writes adapters for the model in <paramref name="baseDirectory"/> into <paramref name="directory"/>.</summary>
    public static string Write(string baseDirectory, string directory)
    {
        Directory.CreateDirectory(directory);
        var options = new LoraOptions { Rank = 2 };
        var model = ModelDirectory.Load(baseDirectory);
        model.AddLora(options, new Rng(5));
        var adapters = model.NamedParameters().Where(p => p.Value.RequiresGrad).ToList();
        foreach (var (_, value) in adapters)
        {
            var span = value.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = 0.3f * MathF.Sin(i + 1);
        }
        LoraDirectory.SaveAdapters(adapters, directory);
        LoraDirectory.WriteConfig(directory, new LoraAdapterConfig(Path.GetFullPath(baseDirectory),
            LoraDirectory.HashWeights(baseDirectory), options));
        File.Copy(Path.Combine(baseDirectory, ModelDirectory.TokenizerFile), Path.Combine(directory, ModelDirectory.TokenizerFile));
        return directory;
    }
}
