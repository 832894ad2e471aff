using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Sharpformer.IO;
using Sharpformer.Training;

namespace Sharpformer.Tests.Hardening;

/// <summary>Two runs' checkpoints compared: the same state, whatever their clocks said.</summary>
internal static partial class CheckpointAssert
{
    /// <summary>
    /// The checkpoints in <paramref name="expected"/> and <paramref name="actual"/> hold the same tensors bit for bit and
    /// the same record, except the seconds their updates took (a clock, which no two runs share).
    /// </summary>
    public static void Same(string expected, string actual)
    {
        var a = SafeTensors.Read(Path.Combine(expected, Trainer.StateFile));
        var b = SafeTensors.Read(Path.Combine(actual, Trainer.StateFile));
        Assert.Equal(a.Tensors.Select(t => t.Key), b.Tensors.Select(t => t.Key));
        foreach (var (name, tensor) in a.Tensors)
            Assert.True(MemoryMarshal.AsBytes(tensor.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(b[name].AsSpan())), $"{name} differs");
        Assert.Equal(Untimed(a.Metadata["trainer"]), Untimed(b.Metadata["trainer"]));
    }

    private static string Untimed(string record) => Clock().Replace(record, "");

    [GeneratedRegex("\"(training_seconds|decay_start_seconds)\": *[0-9.eE+-]+,?")]
    private static partial Regex Clock();
}
