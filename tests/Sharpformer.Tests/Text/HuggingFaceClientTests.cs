using Sharpformer.Text;

namespace Sharpformer.Tests.Text;

/// <summary>
/// Sharpformer's tokenizers exported in Hugging Face's schema give, in Hugging Face's own libraries, exactly
/// Sharpformer's ids on every line of the shipped corpora, and decode them back to the line.
/// </summary>
public sealed class HuggingFaceClientTests : IDisposable
{
    private static readonly Lazy<BpeTokenizer> Trained = new(() => BpeTrainer.Train(
        ShippedCorpusTests.ShippedLines.Values.SelectMany(lines => lines.SelectMany(line => line.Split('\t'))),
        new TokenizerTrainingOptions { VocabSize = 8000, ExtraSpecialTokens = ["<sep>"] }));

    private readonly string _directory = Directory.CreateTempSubdirectory("sharpformer-hf-client-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, string> Cases => new()
    {
        { NodeClient.Rust, "trained" }, { NodeClient.JavaScript, "trained" }, { NodeClient.Rust, "gpt2" },
    };

    [NodeClientTheory]
    [MemberData(nameof(Cases))]
    public void EveryShippedLineGetsSharpformersIds(string client, string tokenizer)
    {
        BpeTokenizer ours = tokenizer == "gpt2" ? Gpt2CompatibilityTests.Gpt2 : Trained.Value;
        HuggingFaceTokenizerFile.Write(ours, _directory, modelMaxLength: 512);
        // The corpora, varied text, and for the Rust library (the reference) random strings of any Unicode, less the
        // special tokens' names, which their libraries turn into special ids (SpecialTokensKeepTheirIdsAndNames). The
        // JavaScript port translates the splitting pattern into JavaScript's regex dialect and differs from the Rust
        // library on some rare strings (e.g. "\uFEFF'll", "…'t¼"); Sharpformer agrees with the Rust library there.
        var random = new Random(17);
        int randomTexts = client == NodeClient.Rust ? 3000 : 0;
        var lines = ShippedCorpusTests.ShippedLines
            .SelectMany(file => file.Value.Select((line, i) => (Source: file.Key, Line: i + 1, Text: line)))
            .Concat(Gpt2CompatibilityTests.Paragraphs.Split('\n').Prepend(Gpt2CompatibilityTests.Paragraphs)
                .Select((text, i) => (Source: "varied text", Line: i + 1, Text: text)))
            .Concat(Enumerable.Range(1, randomTexts).Select(i => (Source: "random text", Line: i, Text: RandomText.Next(random))))
            .Where(line => !ours.SpecialTokens.All.Any(special => line.Text.Contains(special.Text, StringComparison.Ordinal))).ToArray();

        var theirs = NodeClient.Encode(client, _directory, [.. lines.Select(line => line.Text)]);

        for (int i = 0; i < lines.Length; i++)
        {
            var (file, number, text) = lines[i];
            int[] expected = ours.Encode(text);
            if (!theirs[i].Ids.AsSpan().SequenceEqual(expected))
                Assert.Fail($"{file}:{number}: {client} gives [{string.Join(' ', theirs[i].Ids.Take(40))}], Sharpformer [{
                    string.Join(' ', expected.Take(40))}] for \"{text}\"");
            if (theirs[i].Text != text) Assert.Fail($"{file}:{number}: {client} decodes the ids to \"{theirs[i].Text}\", not the line");
        }
    }

    [NodeClientTheory]
    [InlineData(NodeClient.Rust)]
    [InlineData(NodeClient.JavaScript)]
    public void SpecialTokensKeepTheirIdsAndNames(string client)
    {
        var ours = Trained.Value;
        HuggingFaceTokenizerFile.Write(ours, _directory);
        string[] names = [.. ours.SpecialTokens.All.Select(token => token.Text)];

        var theirs = NodeClient.Encode(client, _directory, names);

        for (int i = 0; i < names.Length; i++)
        {
            Assert.Equal([ours.SpecialTokens.All[i].Id], theirs[i].Ids); // their libraries match a special token's text
            Assert.Equal(names[i], theirs[i].Text);
        }
        Assert.NotEqual([ours.SpecialTokens.All[0].Id], ours.Encode(names[0])); // Sharpformer encodes it as ordinary text
    }
}
