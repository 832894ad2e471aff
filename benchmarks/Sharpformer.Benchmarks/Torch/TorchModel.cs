using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Sharpformer.Benchmarks.Torch;

/// <summary>
/// The reference model in TorchSharp, as a user would write it: libtorch's post-norm encoder and decoder stacks
/// (sequence-first) with final norms, one embedding shared by source and target, ×√d plus the sinusoidal table,
/// dropout on the embeddings, and a separate output projection with bias.
/// </summary>
internal sealed class TorchModel : nn.Module
{
    private readonly Embedding _embedding;
    private readonly TransformerEncoder _encoder;
    private readonly TransformerDecoder _decoder;
    private readonly LayerNorm _encoderNorm, _decoderNorm;
    private readonly Dropout _dropout;
    private readonly Linear _generator;
    private readonly TorchTensor _table;
    private readonly double _scale;

    public TorchModel(int vocab, int d, int heads, int dff, int layers, double dropout, int maxLength) : base(nameof(TorchModel))
    {
        _embedding = nn.Embedding(vocab, d);
        _encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, dff, dropout, nn.Activations.ReLU), layers);
        _decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, heads, dff, dropout, nn.Activations.ReLU), layers);
        _encoderNorm = nn.LayerNorm(d);
        _decoderNorm = nn.LayerNorm(d);
        _dropout = nn.Dropout(dropout);
        _generator = nn.Linear(d, vocab);
        _scale = Math.Sqrt(d);
        var pos = torch.arange(maxLength, dtype: ScalarType.Float32).unsqueeze(1);
        var div = torch.exp(torch.arange(0, d, 2, dtype: ScalarType.Float32) * (-Math.Log(10000.0) / d));
        _table = torch.zeros(maxLength, d);
        _table[TensorIndex.Colon, TensorIndex.Slice(0, null, 2)] = torch.sin(pos * div);
        _table[TensorIndex.Colon, TensorIndex.Slice(1, null, 2)] = torch.cos(pos * div);
        register_module("embedding", _embedding);
        register_module("encoder", _encoder);
        register_module("decoder", _decoder);
        register_module("encoder_norm", _encoderNorm);
        register_module("decoder_norm", _decoderNorm);
        register_module("dropout", _dropout);
        register_module("generator", _generator);
    }

    // ids: int64 [B, L] → [L, B, d]
    private TorchTensor Embed(TorchTensor ids) =>
        _dropout.call(_embedding.call(ids) * _scale + _table.narrow(0, 0, ids.shape[1])).transpose(0, 1);

    /// <summary>src: int64 [B, S] → memory [S, B, d].</summary>
    public TorchTensor Encode(TorchTensor src) => _encoderNorm.call(_encoder.call(Embed(src), null!, src.eq(0)));

    /// <summary>tgt: int64 [B, T], memory [S, B, d] → logits [B, T, V].</summary>
    public TorchTensor Decode(TorchTensor tgt, TorchTensor memory, TorchTensor src)
    {
        long t = tgt.shape[1];
        var causal = torch.triu(torch.full(t, t, float.NegativeInfinity), 1);
        var padding = src.eq(0);
        var hidden = _decoderNorm.call(_decoder.call(Embed(tgt), memory, causal, null!, tgt.eq(0), padding));
        return _generator.call(hidden.transpose(0, 1));
    }

    public TorchTensor Logits(TorchTensor src, TorchTensor tgt) => Decode(tgt, Encode(src), src);
}
