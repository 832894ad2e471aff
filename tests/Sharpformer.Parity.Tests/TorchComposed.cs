using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Parity.Tests;

// libtorch's TransformerEncoderLayer / DecoderLayer / Transformer (as TorchSharp wraps them) are
// sequence-first and post-norm only. The modules here rebuild a layer from libtorch's own
// MultiheadAttention, Linear and LayerNorm so that pre-norm can be checked too, and stack layers with a
// final norm. Every module is sequence-first ([L, B, E]) like libtorch's, so native and composed layers
// are interchangeable, and parameters are named as torch.nn.TransformerEncoderLayer/DecoderLayer name them.
// Fields are named as the parameters they hold because TorchSharp registers fields under their names.
#pragma warning disable IDE1006 // torch-style names

/// <summary>An encoder layer composed from libtorch modules: self-attention and feed-forward, post- or pre-norm.</summary>
public sealed class TorchEncoderLayer : nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor>
{
    private readonly MultiheadAttention self_attn;
    private readonly Linear linear1, linear2;
    private readonly LayerNorm norm1, norm2;
    private readonly bool _preNorm, _gelu;
    private readonly TorchRotary? _rotary;

    /// <summary>
    /// Width <paramref name="d"/>, <paramref name="heads"/> heads, feed-forward width <paramref name="dff"/>; with
    /// <paramref name="rotaryBase"/>, self-attention rotates its queries and keys (RoPE).
    /// </summary>
    public TorchEncoderLayer(long d, long heads, long dff, bool preNorm, bool gelu, double eps = 1e-5, double? rotaryBase = null)
        : base(nameof(TorchEncoderLayer))
    {
        (_preNorm, _gelu) = (preNorm, gelu);
        _rotary = rotaryBase is double theta ? new TorchRotary(heads, theta) : null;
        self_attn = nn.MultiheadAttention(d, heads, 0.0);
        linear1 = nn.Linear(d, dff);
        linear2 = nn.Linear(dff, d);
        norm1 = nn.LayerNorm(d, eps);
        norm2 = nn.LayerNorm(d, eps);
        RegisterComponents();
    }

    /// <summary>x: [S, B, E]; mask: float [S, S] or null; padding: bool [B, S] or null.</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor mask, TorchTensor padding)
    {
        if (_preNorm)
        {
            x = x + SelfAttention(norm1.call(x), mask, padding);
            return x + FeedForward(norm2.call(x));
        }
        x = norm1.call(x + SelfAttention(x, mask, padding));
        return norm2.call(x + FeedForward(x));
    }

    private TorchTensor SelfAttention(TorchTensor x, TorchTensor mask, TorchTensor padding) =>
        _rotary?.SelfAttention(self_attn, x, mask, padding) ?? self_attn.call(x, x, x, padding, true, mask).Item1;

    private TorchTensor FeedForward(TorchTensor x)
    {
        var h = linear1.call(x);
        return linear2.call(_gelu ? nn.functional.gelu(h) : nn.functional.relu(h));
    }
}

/// <summary>A decoder layer composed from libtorch modules: masked self-attention, cross-attention, feed-forward.</summary>
public sealed class TorchDecoderLayer : nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor>
{
    private readonly MultiheadAttention self_attn, multihead_attn;
    private readonly Linear linear1, linear2;
    private readonly LayerNorm norm1, norm2, norm3;
    private readonly bool _preNorm, _gelu;
    private readonly TorchRotary? _rotary;

    /// <summary>
    /// Width <paramref name="d"/>, <paramref name="heads"/> heads, feed-forward width <paramref name="dff"/>; with
    /// <paramref name="rotaryBase"/>, self-attention (not cross-attention) rotates its queries and keys (RoPE).
    /// </summary>
    public TorchDecoderLayer(long d, long heads, long dff, bool preNorm, bool gelu, double eps = 1e-5, double? rotaryBase = null)
        : base(nameof(TorchDecoderLayer))
    {
        (_preNorm, _gelu) = (preNorm, gelu);
        _rotary = rotaryBase is double theta ? new TorchRotary(heads, theta) : null;
        self_attn = nn.MultiheadAttention(d, heads, 0.0);
        multihead_attn = nn.MultiheadAttention(d, heads, 0.0);
        linear1 = nn.Linear(d, dff);
        linear2 = nn.Linear(dff, d);
        norm1 = nn.LayerNorm(d, eps);
        norm2 = nn.LayerNorm(d, eps);
        norm3 = nn.LayerNorm(d, eps);
        RegisterComponents();
    }

    /// <summary>As libtorch's TransformerDecoderLayer: x [T, B, E], memory [S, B, E], then the four masks (each may be null).</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor memory, TorchTensor targetMask, TorchTensor memoryMask,
        TorchTensor targetPadding, TorchTensor memoryPadding)
    {
        if (_preNorm)
        {
            x = x + SelfAttention(norm1.call(x), targetMask, targetPadding);
            x = x + multihead_attn.call(norm2.call(x), memory, memory, memoryPadding, true, memoryMask).Item1;
            return x + FeedForward(norm3.call(x));
        }
        x = norm1.call(x + SelfAttention(x, targetMask, targetPadding));
        x = norm2.call(x + multihead_attn.call(x, memory, memory, memoryPadding, true, memoryMask).Item1);
        return norm3.call(x + FeedForward(x));
    }

    private TorchTensor SelfAttention(TorchTensor x, TorchTensor mask, TorchTensor padding) =>
        _rotary?.SelfAttention(self_attn, x, mask, padding) ?? self_attn.call(x, x, x, padding, true, mask).Item1;

    private TorchTensor FeedForward(TorchTensor x)
    {
        var h = linear1.call(x);
        return linear2.call(_gelu ? nn.functional.gelu(h) : nn.functional.relu(h));
    }
}

/// <summary>Encoder layers (native or composed) and an optional final norm: parameters layers.N.* and norm.*.</summary>
public sealed class TorchEncoderStack : nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor>
{
    private readonly ModuleList<nn.Module> _layers;
    private readonly LayerNorm? _norm;

    /// <summary>
    /// Stacks <paramref name="layers"/> (libtorch TransformerEncoderLayers or <see cref="TorchEncoderLayer"/>s), then
    /// <paramref name="norm"/> if given.
    /// </summary>
    public TorchEncoderStack(IEnumerable<nn.Module> layers, LayerNorm? norm) : base(nameof(TorchEncoderStack))
    {
        _layers = nn.ModuleList(layers.ToArray());
        register_module("layers", _layers);
        _norm = norm;
        if (norm is not null) register_module("norm", norm);
    }

    /// <summary>x: [S, B, E] with the self-attention mask and key padding → [S, B, E].</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor mask, TorchTensor padding)
    {
        foreach (var layer in _layers) x = CallEncoderLayer(layer, x, mask, padding);
        return _norm is null ? x : _norm.call(x);
    }

    /// <summary>
    /// Runs a libtorch TransformerEncoderLayer (whose three-argument call is not its generic forward) or a composed
    /// layer.
    /// </summary>
    public static TorchTensor CallEncoderLayer(nn.Module layer, TorchTensor x, TorchTensor mask, TorchTensor padding) => layer switch
    {
        TransformerEncoderLayer native => native.call(x, mask, padding),
        nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor> composed => composed.call(x, mask, padding),
        _ => throw new ArgumentException($"not an encoder layer: {layer.GetType().Name}"),
    };
}

/// <summary>Decoder layers (native or composed) and an optional final norm.</summary>
public sealed class TorchDecoderStack : nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor>
{
    private readonly ModuleList<nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor,
        TorchTensor>> _layers;
    private readonly LayerNorm? _norm;

    /// <summary>Stacks <paramref name="layers"/>, then <paramref name="norm"/> if given.</summary>
    public TorchDecoderStack(IEnumerable<nn.Module<TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor, TorchTensor,
        TorchTensor>> layers, LayerNorm? norm)
        : base(nameof(TorchDecoderStack))
    {
        _layers = nn.ModuleList(layers.ToArray());
        register_module("layers", _layers);
        _norm = norm;
        if (norm is not null) register_module("norm", norm);
    }

    /// <summary>As libtorch's TransformerDecoder.</summary>
    public override TorchTensor forward(TorchTensor x, TorchTensor memory, TorchTensor targetMask, TorchTensor memoryMask,
        TorchTensor targetPadding, TorchTensor memoryPadding)
    {
        foreach (var layer in _layers) x = layer.call(x, memory, targetMask, memoryMask, targetPadding, memoryPadding);
        return _norm is null ? x : _norm.call(x);
    }
}

/// <summary>
/// The encoder-decoder core as a function of sequence-first embeddings: (src, tgt, target mask, source
/// padding, target padding) → decoder output. Source padding masks both encoder self-attention and
/// cross-attention, as Sharpformer's Transformer does.
/// </summary>
public delegate TorchTensor TorchCore(TorchTensor src, TorchTensor tgt, TorchTensor targetMask, TorchTensor sourcePadding,
    TorchTensor targetPadding);

/// <summary>Both composed stacks, named encoder.* and decoder.* as torch.nn.Transformer's.</summary>
public sealed class TorchEncoderDecoder : nn.Module
{
    private readonly TorchEncoderStack _encoder;
    private readonly TorchDecoderStack _decoder;

    /// <summary>Holds the two stacks.</summary>
    public TorchEncoderDecoder(TorchEncoderStack encoder, TorchDecoderStack decoder) : base(nameof(TorchEncoderDecoder))
    {
        (_encoder, _decoder) = (encoder, decoder);
        register_module("encoder", encoder);
        register_module("decoder", decoder);
    }

    /// <summary>The core function over both stacks.</summary>
    public TorchTensor Run(TorchTensor src, TorchTensor tgt, TorchTensor targetMask, TorchTensor sourcePadding, TorchTensor targetPadding)
    {
        var memory = _encoder.call(src, null!, sourcePadding);
        return _decoder.call(tgt, memory, targetMask, null!, targetPadding, sourcePadding);
    }
}

/// <summary>
/// The whole model around a core: embeddings (shared when no target embedding is given)
/// scaled by √d plus the sinusoidal table, the core, and the generator. Names: src_embed.*, tgt_embed.*,
/// transformer.*, generator.*.
/// </summary>
public sealed class TorchSeq2Seq : nn.Module
{
    private readonly Embedding _sourceEmbedding, _targetEmbedding;
    private readonly nn.Module<TorchTensor, TorchTensor> _generator;
    private readonly TorchCore _core;
    private readonly TorchTensor? _table;
    private readonly double _scale;

    /// <summary>
    /// Registers the parts under their torch-style names; <paramref name="table"/> is the [L, d] positional table added to
    /// the embeddings (null where the layers rotate instead).
    /// </summary>
    public TorchSeq2Seq(Embedding sourceEmbedding, Embedding? targetEmbedding, nn.Module core, TorchCore run,
        nn.Module<TorchTensor, TorchTensor> generator, TorchTensor? table, long dModel)
        : base(nameof(TorchSeq2Seq))
    {
        _sourceEmbedding = sourceEmbedding;
        _targetEmbedding = targetEmbedding ?? sourceEmbedding;
        _generator = generator;
        _core = run;
        _table = table;
        _scale = Math.Sqrt(dModel);
        register_module("src_embed", sourceEmbedding);
        if (targetEmbedding is not null) register_module("tgt_embed", targetEmbedding);
        register_module("transformer", core);
        register_module("generator", generator);
    }

    /// <summary>src: int64 [B, S], tgt: int64 [B, T] (pad id 0) → logits [B, T, V].</summary>
    public TorchTensor Logits(TorchTensor src, TorchTensor tgt)
    {
        long s = src.shape[1], t = tgt.shape[1];
        var x = ModuleParity.AddPositions(_sourceEmbedding.call(src) * _scale, _table).transpose(0, 1);
        var y = ModuleParity.AddPositions(_targetEmbedding.call(tgt) * _scale, _table).transpose(0, 1);
        var hidden = _core(x, y, ModuleParity.TorchCausal((int)t), src.eq(0), tgt.eq(0));
        return _generator.call(hidden.transpose(0, 1));
    }
}

/// <summary>The position-wise feed-forward block from two libtorch Linear layers: linear1.*, linear2.*.</summary>
public sealed class TorchFeedForward : nn.Module<TorchTensor, TorchTensor>
{
    private readonly Linear linear1, linear2;
    private readonly bool _gelu;

    /// <summary>d → dff → d with ReLU or GELU between.</summary>
    public TorchFeedForward(long d, long dff, bool gelu) : base(nameof(TorchFeedForward))
    {
        _gelu = gelu;
        linear1 = nn.Linear(d, dff);
        linear2 = nn.Linear(dff, d);
        RegisterComponents();
    }

    /// <summary>x: [..., d] → [..., d].</summary>
    public override TorchTensor forward(TorchTensor x)
    {
        var h = linear1.call(x);
        return linear2.call(_gelu ? nn.functional.gelu(h) : nn.functional.relu(h));
    }
}

/// <summary>An output projection tied to an embedding table: logits = x·Eᵀ + bias; only generator.bias is its own.</summary>
public sealed class TorchTiedGenerator : nn.Module<TorchTensor, TorchTensor>
{
    private readonly Parameter bias;
    private readonly Func<TorchTensor> _weight;

    /// <summary>Projects with the current weight of <paramref name="embedding"/> (read at each call, so dtype changes follow).</summary>
    public TorchTiedGenerator(Embedding embedding) : base(nameof(TorchTiedGenerator))
    {
        _weight = () => embedding.weight!;
        bias = nn.Parameter(torch.zeros(embedding.weight!.shape[0]));
        RegisterComponents();
    }

    /// <summary>x: [..., d] → [..., V].</summary>
    public override TorchTensor forward(TorchTensor x) => nn.functional.linear(x, _weight(), bias);
}

/// <summary>
/// A decoder-only language model from libtorch modules, as Sharpformer's LanguageModel: tgt_embed.*, decoder.layers.N.*
/// and decoder.norm.* (encoder-style layers under a causal mask), generator.*.
/// </summary>
public sealed class TorchLanguageModel : nn.Module
{
    private readonly Embedding _embedding;
    private readonly TorchEncoderStack _blocks;
    private readonly nn.Module<TorchTensor, TorchTensor> _generator;
    private readonly TorchTensor? _table;
    private readonly double _scale;

    /// <summary>The parts; <paramref name="table"/>: the [L, d] positional table, null where the layers rotate instead.</summary>
    public TorchLanguageModel(Embedding embedding, TorchEncoderStack blocks, nn.Module<TorchTensor, TorchTensor> generator,
        TorchTensor? table, long dModel) : base(nameof(TorchLanguageModel))
    {
        (_embedding, _blocks, _generator, _table, _scale) = (embedding, blocks, generator, table, Math.Sqrt(dModel));
        register_module("tgt_embed", embedding);
        register_module("decoder", blocks);
        register_module("generator", generator);
    }

    /// <summary>tokens: int64 [B, T] (pad id 0) → logits [B, T, V].</summary>
    public TorchTensor Logits(TorchTensor tokens)
    {
        long t = tokens.shape[1];
        var x = ModuleParity.AddPositions(_embedding.call(tokens) * _scale, _table).transpose(0, 1);          // [T, B, d]
        return _generator.call(_blocks.call(x, ModuleParity.TorchCausal((int)t), tokens.eq(0)).transpose(0, 1));
    }
}

/// <summary>
/// Rotary position embeddings (RoPE) written with torch ops the way LLaMA's reference code writes them, and a
/// self-attention that applies them with the weights of a libtorch MultiheadAttention (in_proj_*, out_proj.*).
/// </summary>
public sealed class TorchRotary(long heads, double theta)
{
    /// <summary>x: [..., T at positionDim, ..., d] rotated at positions offset … offset + T − 1 (rotate_half).</summary>
    public static TorchTensor Rotate(TorchTensor x, int positionDim, int offset, double theta)
    {
        long d = x.shape[^1], t = x.shape[positionDim];
        var inverseFrequency = 1.0 / torch.pow(theta, torch.arange(0, d, 2, dtype: x.dtype) / d);
        var positions = torch.arange(offset, offset + t, dtype: x.dtype);
        var angles = torch.outer(positions, inverseFrequency);                 // [T, d/2]
        var embedding = torch.cat([angles, angles], -1);                       // [T, d]
        var shape = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        shape[positionDim] = t;
        shape[^1] = d;
        var (cos, sin) = (embedding.cos().reshape(shape), embedding.sin().reshape(shape));
        var halves = x.chunk(2, -1);
        var rotated = torch.cat([-halves[1], halves[0]], -1);                  // rotate_half
        return x * cos + rotated * sin;
    }

    /// <summary>x: [S, B, E]; mask: float [S, S] or null; padding: bool [B, S] or null → [S, B, E].</summary>
    public TorchTensor SelfAttention(MultiheadAttention attention, TorchTensor x, TorchTensor? mask, TorchTensor? padding)
    {
        var p = ModuleParity.TorchParameters(attention);
        long s = x.shape[0], b = x.shape[1], e = x.shape[2], d = e / heads;
        var qkv = nn.functional.linear(x, p["in_proj_weight"], p["in_proj_bias"]).chunk(3, -1);   // 3 × [S, B, E]
        TorchTensor Split(TorchTensor t) => t.reshape(s, b, heads, d).permute(1, 2, 0, 3);        // [B, H, S, d]
        var (q, k, v) = (Rotate(Split(qkv[0]), 2, 0, theta), Rotate(Split(qkv[1]), 2, 0, theta), Split(qkv[2]));
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(d);                                // [B, H, S, S]
        if (mask is not null) scores = scores + mask;
        if (padding is not null) scores = scores.masked_fill(padding.reshape(b, 1, 1, s), double.NegativeInfinity);
        var context = scores.softmax(-1).matmul(v).permute(2, 0, 1, 3).reshape(s, b, e);          // [S, B, E]
        return nn.functional.linear(context, p["out_proj.weight"], p["out_proj.bias"]);
    }
}
