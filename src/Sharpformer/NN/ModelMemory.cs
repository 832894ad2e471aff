namespace Sharpformer.NN;

/// <summary>Refuses, with a clear message, to build a model that cannot fit in the memory this process may use.</summary>
public static class ModelMemory
{
    /// <summary>
    /// Throws <see cref="InsufficientMemoryException"/> when <paramref name="copies"/> float32 copies of
    /// <paramref name="config"/>'s parameters (1 for inference; 4 to train with Adam: weights, gradients
    /// and two moments) would exceed the memory available to the process.
    /// </summary>
    public static void Require(TransformerConfig config, int copies, string purpose)
    {
        long parameters = ParameterLayout.ParameterCount(config);
        double needed = 4.0 * copies * parameters, available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (needed > available)
            throw new InsufficientMemoryException(
                $"the model has {parameters:N0} parameters: {purpose} needs about {needed / (1 << 30):F1} GiB, " +
                $"more than the {available / (1 << 30):F1} GiB this process may use");
    }
}
