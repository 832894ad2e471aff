// Week 3 mini project: the input pipeline of a Transformer, stage by stage.
// text → byte-level BPE tokens (trained here on one paragraph) → ids → embeddings (scaled by √d_model)
// → plus sinusoidal positional encodings → the [B, T, d_model] tensor the first encoder layer takes.
using System.Text;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

const string paragraph = """
    It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in
    want of a wife. However little known the feelings or views of such a man may be on his first entering a
    neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is
    considered the rightful property of some one or other of their daughters.
    """;

// 1. Train: the 4 reserved ids, the 256 bytes, then merges of the most frequent adjacent pairs.
var tokenizer = BpeTrainer.Train(paragraph.Split('\n'), new TokenizerTrainingOptions { VocabSize = 300, MinFrequency = 2 });
Console.WriteLine($"1. trained BPE: {tokenizer.VocabSize} tokens = {SpecialTokens.Count} special + 256 bytes + " +
                  $"{tokenizer.Merges.Count} merges");
Console.WriteLine("   first merges: " + string.Join(", ", tokenizer.Merges.Take(8).Select(m => $"'{Show(m.Left)}'+'{Show(m.Right)}'")));

// 2. Encode: pieces never cross the pre-tokenizer's boundaries; a leading space belongs to the word.
const string sentence = "A single man of good fortune is in want of a wife.";
int[] ids = [SpecialTokens.Bos, .. tokenizer.Encode(sentence), SpecialTokens.Eos];
Console.WriteLine($"\n2. \"{sentence}\" ({Encoding.UTF8.GetByteCount(sentence)} bytes) → {ids.Length} ids with <bos>/<eos>:");
Console.WriteLine("   tokens: " + string.Join(" | ", ids.Select(Show)));
Console.WriteLine("   ids:    " + string.Join(" ", ids));
Console.WriteLine($"   decoded back: \"{tokenizer.Decode(ids.AsSpan(1, ids.Length - 2))}\"");

// 3. Embed: one learned row per id, scaled by √d_model as in the paper.
const int dModel = 16;
var rng = new Rng(seed: 3);
var embedding = new Embedding(tokenizer.VocabSize, dModel, rng);
var batch = Tensor.FromArray([.. ids.Select(id => (float)id)], 1, ids.Length);
var embedded = embedding.Forward(batch) * MathF.Sqrt(dModel);
Console.WriteLine($"\n3. embeddings: ids {Shapes.Format(batch.Shape)} → {Shapes.Format(embedded.Shape)}");
PrintRows(embedded, "   ");

// 4. Add positions: the same token at two positions now gives two different vectors.
var positions = new SinusoidalPositionalEncoding(dModel, maxLength: 128);
var input = positions.Forward(embedded);
Console.WriteLine($"\n4. + positional encoding → {Shapes.Format(input.Shape)} (first rows of PE added):");
PrintRows(input, "   ");
int of = Array.IndexOf(ids, tokenizer.Encode(" of")[0]), secondOf = Array.LastIndexOf(ids, tokenizer.Encode(" of")[0]);
Console.WriteLine($"   ' of' at positions {of} and {secondOf}: embedding[0] {embedded[0, of, 0]:F3} = {embedded[0, secondOf, 0]:F3}, " +
                  $"input[0] {input[0, of, 0]:F3} ≠ {input[0, secondOf, 0]:F3}");

// A token's text: its bytes as UTF-8 (a special id shows its name), with spaces made visible.
string Show(int id) =>
    (tokenizer.SpecialTokens.TryGetText(id, out string? name) ? name : Encoding.UTF8.GetString(tokenizer.TokenBytes(id)))
        .Replace(' ', '·');

static void PrintRows(Tensor x, string indent)
{
    for (int t = 0; t < Math.Min(3, x.Size(1)); t++)
        Console.WriteLine($"{indent}pos {t}: " +
            string.Join(" ", Enumerable.Range(0, 6).Select(i => x[0, t, i].ToString("+0.000;-0.000"))) + " …");
}
