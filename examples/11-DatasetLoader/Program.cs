// Week 11 mini project: a dataset and a data loader for translation.
// The English → Spanish Bible pairs shipped with the library (train/valid split by chapter) → a byte-level
// BPE tokenizer trained on the training side → token ids cut to a maximum length (counted) → length-bucketed
// batches under a token budget → padded tensors and the attention masks the model builds from them.
// Usage: dotnet run --project examples/11-DatasetLoader -- [vocab=1000] [batch-tokens=2048] [max-length=64]
using System.Diagnostics;
using Sharpformer.Data;
using Sharpformer.NN;
using Sharpformer.Tensors;
using Sharpformer.Text;

int vocab = Arg(0, 1000), batchTokens = Arg(1, 2048), maxLength = Arg(2, 64);

// 1. The dataset: verse pairs, split by chapter so no chapter feeds both training and validation.
var train = Corpora.BibleVerses(Split.Train).Select(v => (v.English, v.Spanish)).ToList();
var valid = Corpora.BibleVerses(Split.Valid).Select(v => (v.English, v.Spanish)).ToList();
Console.WriteLine($"1. Bible en→es: {train.Count:N0} training and {valid.Count:N0} validation pairs " +
                  $"(test: {Corpora.BibleVerses(Split.Test).Count:N0}, kept aside)");
Console.WriteLine($"   e.g. \"{train[0].English}\" → \"{train[0].Spanish}\"");

// 2. The tokenizer, trained on the training side only (both languages share one vocabulary).
var clock = Stopwatch.StartNew();
var tokenizer = TokenizerTrainer.Train("bpe", train.SelectMany(p => new[] { p.English, p.Spanish }),
    new TokenizerTrainingOptions { VocabSize = vocab });
Console.WriteLine($"\n2. byte-level BPE of {tokenizer.VocabSize:N0} tokens trained in {clock.Elapsed.TotalSeconds:F1} s");

// 3. Encoding with a maximum length: sources keep maxLength tokens, targets maxLength − 1 (room for <eos>).
clock.Restart();
var encodedTrain = EncodedPairs.Encode(train, tokenizer.Encode, maxLength);
var encodedValid = EncodedPairs.Encode(valid, tokenizer.Encode, maxLength);
Console.WriteLine($"\n3. encoded in {clock.Elapsed.TotalSeconds:F1} s; cut to {maxLength} tokens: " +
                  $"{encodedTrain.Truncated:N0} training pairs ({encodedTrain.Truncated / (double)train.Count:P1}), " +
                  $"{encodedValid.Truncated:N0} validation pairs");
Lengths("   English", encodedTrain.Pairs.Select(p => p.Source.Length));
Lengths("   Spanish", encodedTrain.Pairs.Select(p => p.Target.Length));

// 4. The loader: each epoch shuffles, sorts pools of 4,096 pairs by length, cuts batches of at most
//    batchTokens padded tokens, and shuffles the batches. Its position ("epoch,batch") is its whole state.
var loader = new BucketBatcher(encodedTrain.Pairs, batchTokens, seed: 11);
Console.WriteLine($"\n4. bucketed loader: {loader.BatchesPerEpoch:N0} batches an epoch under a budget of {batchTokens:N0} padded tokens; " +
                  $"the first five:");
var epoch = new List<Batch>();
while (true)
{
    var batch = loader.Next();
    if (loader.Epoch > 0) break;
    epoch.Add(batch);
}
foreach (var batch in epoch.Take(5))
    Console.WriteLine($"   source {Shapes.Format(batch.Source.Shape),-9} target {Shapes.Format(batch.TargetInput.Shape),-9} " +
                      $"cost {batch.Size} × {Math.Max(batch.Source.Size(1), batch.TargetInput.Size(1))} = " +
                      $"{batch.Size * Math.Max(batch.Source.Size(1), batch.TargetInput.Size(1)),5:N0}, " +
                      $"padding {PaddingFraction([batch]),6:P1}");
var sizes = epoch.Select(b => b.Size).Order().ToList();
Console.WriteLine($"   examples per batch: min {sizes[0]}, median {sizes[sizes.Count / 2]}, max {sizes[^1]}");

// 5. Padding: the same pairs shuffled and cut into as many batches without sorting by length.
var order = Enumerable.Range(0, encodedTrain.Pairs.Count).ToArray();
new Rng(12).Shuffle<int>(order);
int naiveSize = (int)Math.Ceiling(order.Length / (double)epoch.Count);
var naive = order.Chunk(naiveSize).Select(chunk => Batch.FromPairs([.. chunk.Select(i => encodedTrain.Pairs[i])])).ToList();
Console.WriteLine($"\n5. padding over one epoch: bucketed {PaddingFraction(epoch):P1} vs naive {PaddingFraction(naive):P1} " +
                  $"({naive.Count:N0} random batches of {naiveSize}); " +
                  $"widest naive batch {naive.Max(b => b.Size * Math.Max(b.Source.Size(1), b.TargetInput.Size(1))):N0} padded tokens");

// 6. Resume: a new loader given the saved position continues with the same batches.
string state = loader.SaveState();
var resumed = new BucketBatcher(encodedTrain.Pairs, batchTokens, seed: 11);
resumed.LoadState(state);
bool same = Enumerable.Range(0, 3)
    .All(_ => loader.Next().TargetOutput.ToArray().AsSpan().SequenceEqual(resumed.Next().TargetOutput.ToArray()));
Console.WriteLine($"\n6. state \"{state}\" saved and loaded into a new loader: next 3 batches identical: {same}");

// 7. One small batch (the first three short validation verses), decoded back to text, with its masks.
var shown = Batch.FromPairs([.. encodedValid.Pairs.Where(p => p.Source.Length <= 16 && p.Target.Length <= 15).Take(3)]);
Console.WriteLine($"\n7. a validation batch of {shown.Size}: source {Shapes.Format(shown.Source.Shape)}, " +
                  $"target {Shapes.Format(shown.TargetInput.Shape)}");
for (int b = 0; b < shown.Size; b++)
{
    Console.WriteLine($"   [{b}] source        {Text(shown.Source, b)}");
    Console.WriteLine($"       target input  {Text(shown.TargetInput, b)}");
    Console.WriteLine($"       target output {Text(shown.TargetOutput, b)}");
}
var model = new Transformer(TransformerConfig.Tiny(tokenizer.VocabSize) with { MaxLength = maxLength + 2 }, new Rng(1));
var sourceMask = model.SourceMask(shown.Source).Additive;   // [B, 1, 1, S]: blocks padding keys
var targetMask = model.TargetMask(shown.TargetInput).Additive; // [B, 1, T, T]: blocks future and padding keys
Console.WriteLine($"   source mask {Shapes.Format(sourceMask.Shape)} (■ attend, · blocked), one row per example:");
for (int b = 0; b < shown.Size; b++) Console.WriteLine("     " + MaskRow(sourceMask, b * shown.Source.Size(1), shown.Source.Size(1)));
int t = shown.TargetInput.Size(1),
    shortest = Enumerable.Range(0, shown.Size).MinBy(b => Row(shown.TargetInput, b).Count(id => id != SpecialTokens.Pad));
Console.WriteLine($"   target mask {Shapes.Format(targetMask.Shape)} of example {shortest} (causal and padding), " +
                  $"query rows × key columns:");
for (int i = 0; i < t; i++) Console.WriteLine("     " + MaskRow(targetMask, (shortest * t + i) * t, t));

int Arg(int index, int fallback) => args.Length > index && int.TryParse(args[index], out int v) && v > 0 ? v : fallback;

static void Lengths(string label, IEnumerable<int> lengths)
{
    var sorted = lengths.Order().ToList();
    Console.WriteLine($"{label} tokens per verse: mean {sorted.Average():F1}, median {sorted[sorted.Count / 2]}, " +
                      $"p95 {sorted[sorted.Count * 95 / 100]}, max {sorted[^1]}");
}

static double PaddingFraction(IEnumerable<Batch> batches)
{
    long positions = 0, real = 0;
    foreach (var b in batches)
    {
        positions += (long)b.Size * (b.Source.Size(1) + b.TargetInput.Size(1));
        real += b.SourceTokens + b.TargetTokens;
    }
    return 1 - real / (double)positions;
}

static int[] Row(Tensor ids, int b) => [.. Enumerable.Range(0, ids.Size(1)).Select(j => (int)ids[b, j])];

string Text(Tensor ids, int b)
{
    var row = Row(ids, b);
    int pads = row.Length - (Array.FindLastIndex(row, id => id != SpecialTokens.Pad) + 1);
    string text = tokenizer.Decode(row.AsSpan(0, row.Length - pads));
    if (text.Length > 90) text = text[..60] + " … " + text[^25..];
    return $"\"{text}\"" + (pads > 0 ? $" + <pad>×{pads}" : "");
}

static string MaskRow(Tensor mask, int offset, int count)
{
    var values = mask.ToArray();
    return string.Concat(Enumerable.Range(offset, count).Select(i => float.IsNegativeInfinity(values[i]) ? "·" : "■"));
}
