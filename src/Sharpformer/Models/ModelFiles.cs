using Sharpformer.NN;
using Sharpformer.Text;

namespace Sharpformer.Models;

/// <summary>
/// A model directory opened for use (<see cref="ModelDirectory.Open"/>): the model, in evaluation mode, and
/// its tokenizer.
/// </summary>
public sealed record ModelFiles(SequenceModel Model, ITokenizer Tokenizer)
{
    /// <summary>The encoder-decoder model, or a clear error for a language model.</summary>
    public Transformer Translator => Model as Transformer
        ?? throw new ArgumentException("this model is a decoder-only language model, not a translation model: open it with TextGenerator");

    /// <summary>The language model, or a clear error for an encoder-decoder model.</summary>
    public LanguageModel LanguageModel => Model as LanguageModel
        ?? throw new ArgumentException(
            "this model is an encoder-decoder (translation) model, not a language model: open it with Translator");
}
