using Sharpformer.NN;
using Sharpformer.Tensors;

namespace Sharpformer.Exercises.Week10;

/// <summary>Week 10 with the library plugged in: build the model and count.</summary>
public static class ModelSize
{
    /// <summary>The parameter count of the model the config describes.</summary>
    public static long ParameterCount(TransformerConfig config) => new Transformer(config, new Rng(0)).ParameterCount();
}
