using Sharpformer.Data;
using Sharpformer.IO;
using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Generation;

/// <summary>A trained model directory opened for use: the model, in evaluation mode, and its tokenizer.</summary>
public sealed record ModelFiles(SequenceModel Model, ITokenizer Tokenizer)
{
    /// <summary>The tokenizer's file inside a model directory.</summary>
    public const string TokenizerFile = "tokenizer.json";

    /// <summary>
    /// Loads config.json, model.safetensors and tokenizer.json from <paramref name="directory"/> and checks
    /// that they belong together (vocabulary size, the reserved special tokens, the padding id).
    /// </summary>
    /// <exception cref="InvalidFileException">A file is missing, damaged, or does not fit the others.</exception>
    public static ModelFiles Open(string directory)
    {
        var model = ModelDirectory.Load(directory);
        string tokenizerPath = Path.Combine(directory, TokenizerFile);
        var tokenizer = ITokenizer.Load(tokenizerPath);
        if (tokenizer.VocabSize != model.Config.TargetVocab)
            throw new InvalidFileException(tokenizerPath, $"{tokenizer.VocabSize} tokens, but the model's vocabulary is {model.Config.TargetVocab}");
        // Decoding starts at <bos>, stops at <eos> and pads with <pad>: the reserved ids 0–2.
        var specials = tokenizer.SpecialTokens;
        if (specials.Pad != SpecialTokens.Pad || specials.Bos != SpecialTokens.Bos || specials.Eos != SpecialTokens.Eos)
            throw new InvalidFileException(tokenizerPath, $"a model's tokenizer needs <pad>, <bos> and <eos> at ids {SpecialTokens.Pad}, {SpecialTokens.Bos} and {SpecialTokens.Eos}");
        if (model.Config.PadId != SpecialTokens.Pad)
            throw new InvalidFileException(Path.Combine(directory, ModelDirectory.ConfigFile), $"pad_id is {model.Config.PadId}, but the tokenizer's <pad> is {SpecialTokens.Pad}");
        model.Eval();
        return new ModelFiles(model, tokenizer);
    }

    /// <summary>The encoder-decoder model, or a clear error for a language model.</summary>
    public Transformer Translator => Model as Transformer
        ?? throw new ArgumentException("this model is a decoder-only language model: use `sharpformer generate`");

    /// <summary>The language model, or a clear error for an encoder-decoder model.</summary>
    public LanguageModel LanguageModel => Model as LanguageModel
        ?? throw new ArgumentException("this model is an encoder-decoder (translation) model: use `sharpformer translate`");
}
