namespace Sharpformer.Tensors;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[Shapes.Count(Shapes.Validate(shape, "Zeros"))], (int[])shape.Clone());

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1f);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, float value)
    {
        var data = new float[Shapes.Count(Shapes.Validate(shape, "Full"))];
        data.AsSpan().Fill(value);
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>A zero-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>A tensor of zeros with the shape of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.ShapeRef);

    /// <summary>A tensor of ones with the shape of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.ShapeRef);

    /// <summary>Values start, start + step, … up to but excluding end (1-D), as torch.arange.</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || !float.IsFinite(start) || !float.IsFinite(end) || !float.IsFinite(step))
            throw new ArgumentException($"Arange: start {start}, end {end}, step {step} do not describe a finite range");
        int n = Math.Max(0, (int)Math.Ceiling((end - (double)start) / step));
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(start + (double)i * step);
        return new Tensor(data, [n]);
    }

    /// <summary>0, 1, …, n − 1.</summary>
    public static Tensor Arange(int n) => Arange(0, n);

    /// <summary>A tensor holding a copy of <paramref name="data"/> in the given shape (row-major).</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = Shapes.Validate(shape, "FromArray");
        if (Shapes.Count(s) != data.Length)
            throw new ShapeMismatchException(
                $"FromArray: {data.Length} values cannot fill shape {Shapes.Format(s)} ({Shapes.Count(s)} elements)");
        return new Tensor((float[])data.Clone(), s);
    }

    /// <summary>A 1-D tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data) => FromArray(data, data.Length);

    /// <summary>Samples from N(mean, std²) drawn from <paramref name="rng"/>.</summary>
    public static Tensor Normal(int[] shape, Rng rng, float mean = 0f, float std = 1f)
    {
        var data = new float[Shapes.Count(Shapes.Validate(shape, "Normal"))];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(mean + std * rng.NextGaussian());
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>Samples uniform in [low, high) drawn from <paramref name="rng"/>.</summary>
    public static Tensor Uniform(int[] shape, Rng rng, float low = 0f, float high = 1f)
    {
        if (!(high >= low)) throw new ArgumentException($"Uniform: low {low} must not exceed high {high}");
        var data = new float[Shapes.Count(Shapes.Validate(shape, "Uniform"))];
        for (int i = 0; i < data.Length; i++) data[i] = low + (high - low) * rng.NextFloat();
        return new Tensor(data, (int[])shape.Clone());
    }

    /// <summary>
    /// A new contiguous tensor for an op's result, its storage from the active <see cref="TensorArena"/>
    /// if any. Without <paramref name="zeroed"/> the values are arbitrary: the op must write them all.
    /// </summary>
    internal static Tensor Allocate(int[] shape, bool zeroed = true) =>
        new(TensorArena.RentStorage(Shapes.Count(shape), zeroed), 0, shape, Shapes.ContiguousStrides(shape));
}
