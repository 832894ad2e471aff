using Sharpformer.Tensors;

namespace Sharpformer.NN;

/// <summary>Weight initialization schemes, each writing into an existing parameter in place.</summary>
public static class Init
{
    /// <summary>U(low, high).</summary>
    public static void Uniform(Tensor t, Rng rng, float low, float high) => t.CopyFrom(Tensor.Uniform(t.ShapeArray(), rng, low, high));

    /// <summary>N(mean, std²).</summary>
    public static void Normal(Tensor t, Rng rng, float mean = 0f, float std = 1f) =>
        t.CopyFrom(Tensor.Normal(t.ShapeArray(), rng, mean, std));

    /// <summary>Every element set to <paramref name="value"/>.</summary>
    public static void Constant(Tensor t, float value) => t.CopyFrom(Tensor.Full(t.ShapeArray(), value));

    /// <summary>
    /// Glorot &amp; Bengio's uniform scheme: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)), as
    /// torch.nn.init.xavier_uniform_ (the Transformer's usual initialization for matrices).
    /// </summary>
    public static void XavierUniform(Tensor t, Rng rng, float gain = 1f)
    {
        var (fanIn, fanOut) = Fans(t);
        float a = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(t, rng, -a, a);
    }

    /// <summary>
    /// PyTorch's default for Linear weights and biases: U(−1/√fan_in, 1/√fan_in) (kaiming_uniform_ with
    /// a = √5 reduces to this bound).
    /// </summary>
    public static void LinearDefault(Tensor t, Rng rng, int fanIn)
    {
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(t, rng, -bound, bound);
    }

    /// <summary>Fan-in and fan-out as PyTorch computes them: dims 1 and 0 times the receptive field size.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor t)
    {
        if (t.Rank < 2)
            throw new ArgumentException($"Init: fan in and fan out need at least 2 dimensions, got shape {Shapes.Format(t.Shape)}");
        int receptive = 1;
        for (int i = 2; i < t.Rank; i++) receptive *= t.Size(i);
        return (t.Size(1) * receptive, t.Size(0) * receptive);
    }
}
