namespace Sharpformer.Text;

/// <summary>
/// Turns text into token ids and back. Implementations: <see cref="CharTokenizer"/>,
/// <see cref="WordTokenizer"/> and the byte-level <see cref="BpeTokenizer"/>.
/// <para>
/// Special tokens are never produced from ordinary text: the text "&lt;pad&gt;" encodes like any other
/// characters (as bytes and merges for BPE), so no input can forge a control token. Callers add
/// <c>&lt;bos&gt;</c> / <c>&lt;eos&gt;</c> ids themselves; <see cref="Decode"/> writes a special id as its name.
/// </para>
/// </summary>
public interface ITokenizer
{
    /// <summary>The kind saved as "type" in tokenizer.json: "char", "word" or "bpe".</summary>
    string Type { get; }

    /// <summary>Number of ids; every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The special tokens and their ids.</summary>
    SpecialTokenSet SpecialTokens { get; }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    int[] Encode(string text);

    /// <summary>
    /// The text of <paramref name="ids"/>; an id outside [0, VocabSize) throws
    /// <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>Writes the tokenizer to <paramref name="path"/> (tokenizer.json, atomically).</summary>
    void Save(string path);

    /// <summary>
    /// Reads a tokenizer.json written by <see cref="Save"/>, whatever its type, or a byte-level BPE one in Hugging
    /// Face's schema (see <see cref="HuggingFaceTokenizerFile"/>). A missing, unreadable or malformed file
    /// throws <see cref="IO.InvalidFileException"/> naming the file and the problem.
    /// </summary>
    static ITokenizer Load(string path) => TokenizerFile.Read(path);
}
