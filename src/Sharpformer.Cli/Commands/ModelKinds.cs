using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;

namespace Sharpformer.Cli.Commands;

/// <summary>Opens a model directory for a command, pointing to the right command when the model is of the other kind.</summary>
internal static class ModelKinds
{
    /// <summary>A translator for <paramref name="directory"/>, or an error that suggests <c>generate</c> for a language model.</summary>
    public static Translator OpenTranslator(string directory)
    {
        var files = ModelDirectory.Open(directory);
        return files.Model is Transformer model
            ? new Translator(model, files.Tokenizer)
            : throw new ArgumentException("this model is a decoder-only language model: use `sharpformer generate`");
    }

    /// <summary>
    /// A text generator for <paramref name="directory"/>, or an error that suggests <c>translate</c> for a
    /// translation model.
    /// </summary>
    public static TextGenerator OpenGenerator(string directory)
    {
        var files = ModelDirectory.Open(directory);
        return files.Model is LanguageModel model
            ? new TextGenerator(model, files.Tokenizer)
            : throw new ArgumentException("this model is an encoder-decoder (translation) model: use `sharpformer translate`");
    }
}
