namespace Sharpformer.Training;

/// <summary>
/// Everything besides tensors that an exact resume needs: where training stopped, the data stream's
/// position and the dropout generator's state. Stored as metadata inside trainer-state.safetensors (so
/// one atomic file holds a consistent checkpoint) and copied to trainer.json for people to read.
/// </summary>
public sealed record TrainerCheckpoint(int Step, int Epoch, int OptimizerSteps, string DataState, ulong[] DropoutRngState, TrainingOptions Options)
{
    /// <summary>Reads a trainer.json file.</summary>
    public static TrainerCheckpoint Read(string path) => IO.JsonFiles.Read(path, IO.SharpformerJson.Default.TrainerCheckpoint);
}
