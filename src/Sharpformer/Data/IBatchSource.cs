namespace Sharpformer.Data;

/// <summary>An endless, seeded stream of training batches whose position can be saved and restored.</summary>
public interface IBatchSource
{
    /// <summary>Passes completed over the data (0 for generated tasks).</summary>
    int Epoch { get; }

    /// <summary>The next batch.</summary>
    Batch Next();

    /// <summary>The position in the stream, as an opaque string for checkpoints.</summary>
    string SaveState();

    /// <summary>Returns to a position that <see cref="SaveState"/> gave.</summary>
    void LoadState(string state);
}
