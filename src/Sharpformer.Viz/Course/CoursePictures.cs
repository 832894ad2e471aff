namespace Sharpformer.Viz.Course;

/// <summary>
/// Every picture of the docs chapters, drawn from the library's own code (seeded, so the same on every machine):
/// <c>sharpformer viz course --out docs/images</c> regenerates them.
/// </summary>
public static class CoursePictures
{
    /// <summary>The pictures, in chapter order.</summary>
    public static IReadOnlyList<CoursePicture> All { get; } =
    [
        new("tensor-strides.png", "01-tensors.md", "one storage read through three views", TensorPictures.WriteStrides),
        new("gemm-blocking.png", "02-gemm.md", "C cut into macro-blocks and micro-tiles", GemmPictures.Write),
        new("autograd-graph.png", "03-autograd.md", "a scalar graph with every value and gradient", AutogradPictures.Write),
        new("positional-encoding.png", "04-embeddings-positions.md", "the sinusoidal encoding matrix",
            path => PositionalPictures.Write(64, 100, path)),
        new("positional-waves.png", "04-embeddings-positions.md", "columns of the encoding and each pair's wavelength",
            PositionalWavePictures.Write),
        new("attention-scaling.png", "05-attention.md", "attention weights with and without the √d scaling",
            AttentionWeightPictures.WriteScaling),
        new("norm-placement.png", "06-feedforward-layernorm.md", "post-norm and pre-norm blocks", NormPlacementPictures.Write),
        new("padding-mask.png", "07-encoder.md", "attention over a padded batch", PaddingMaskPictures.Write),
        new("attention-causal-mask.png", "08-decoder.md", "attention weights with and without the causal mask",
            AttentionWeightPictures.WriteCausalMask),
        new("learning-rate-schedules.png", "09-training.md", "the paper's schedule and the trainer's three", SchedulePictures.Write),
        new("loss-curves.png", "09-training.md", "a run's losses against ln C and the label-smoothing floor", LossCurvePictures.Write),
        new("transformer-architecture.png", "10-transformer.md", "the whole model with its parameter counts",
            ArchitecturePictures.Write),
        new("bucketed-batches.png", "11-data.md", "padding in random and length-sorted batches", BatchingPictures.Write),
        new("beam-search-tree.png", "12-generation.md", "beam search against greedy on a toy model", BeamSearchPictures.Write),
        new("roofline.png", "13-performance.md", "the roofline of one core with training and decoding on it", RooflinePictures.Write),
        new("rope-rotations.png", "14-long-context.md", "the angles of rotary embeddings",
            path => RopePictures.Write(64, 256, 10000f, path)),
        new("flash-tiling.png", "14-long-context.md", "the tiles causal attention visits", FlashTilingPictures.Write),
        new("attention-memory.png", "14-long-context.md", "memory of tiled against stored attention",
            path => MemoryPictures.WriteAttention(4, 8, 64, 2, 8192, path)),
        new("int8-error.png", "15-quantization.md", "int8 round trip and each row's error", QuantizationPictures.Write),
        new("lora-update.png", "16-lora.md", "a rank-2 update against a full one", LoraPictures.Write),
        new("bfloat16-rounding.png", "17-mixed-precision.md", "the relative error of bfloat16 rounding", PrecisionPictures.Write),
        new("parallelism.png", "18-distributed.md", "data against tensor parallelism on two ranks", ParallelismPictures.Write),
        new("deployment.png", "19-deployment.md", "the exported files and who reads them", DeploymentPictures.Write),
        new("dynamic-batching.png", "20-serving.md", "concurrent requests turned into batches", ServingPictures.Write),
        new("weight-averaging.png", "21-training-for-quality.md", "checkpoint averaging and a moving average on a toy",
            AveragingPictures.Write),
    ];

    /// <summary>
    /// Draws the pictures into <paramref name="folder"/> (created if missing): all of them, or those whose file names are in
    /// <paramref name="only"/>. Returns the paths written.
    /// </summary>
    /// <exception cref="ArgumentException">A name in <paramref name="only"/> is not a course picture.</exception>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyCollection<string>? only = null)
    {
        if (only is not null)
            foreach (string name in only)
                if (!All.Any(p => p.FileName == name))
                    throw new ArgumentException(
                        $"no course picture is called '{name}'; they are: {string.Join(", ", All.Select(p => p.FileName))}");
        var written = new List<string>();
        foreach (var picture in All.Where(p => only is null || only.Contains(p.FileName)))
        {
            string path = Path.Combine(folder, picture.FileName);
            picture.Write(path);
            written.Add(path);
        }
        return written;
    }
}
