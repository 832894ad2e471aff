// Issue 17: a trained model leaves Sharpformer. Trains a tiny translation model (word order reversed, a BPE
// tokenizer learned on the data), exports its graphs for ONNX Runtime and its tokenizer in Hugging Face's schema,
// then translates held-out lines two ways — Sharpformer's Translator, and a greedy loop over the ONNX graphs fed
// by the exported tokenizer — and shows they agree.
// Usage: dotnet run --project examples/19-Deployment -c Release -- [steps (600: about 15 s, every held-out line reversed)] [out-dir]
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Sharpformer.Generation;
using Sharpformer.Onnx;
using Sharpformer.Tensors;
using Sharpformer.Text;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 600;
string root = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "sharpformer-example-19");
if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
string modelDirectory = Path.Combine(root, "model"), deployDirectory = Path.Combine(root, "deploy");

// 1. The data: sentences of 3–7 words, the target the same words in reverse order.
string[] words = ["the", "light", "earth", "water", "heaven", "day", "night", "said", "made", "good", "great", "small",
                  "king", "people", "land", "house", "word", "life", "spirit", "bread"];
var rng = new Rng(19);
string Sentence() => string.Join(' ', Enumerable.Range(0, 3 + rng.NextInt(5)).Select(_ => words[rng.NextInt(words.Length)]));
string Reversed(string sentence) => string.Join(' ', sentence.Split(' ').Reverse());
Directory.CreateDirectory(root);
string train = Path.Combine(root, "train.tsv"), valid = Path.Combine(root, "valid.tsv");
File.WriteAllLines(train, Enumerable.Range(0, 3000).Select(_ => Sentence()).Select(s => $"{s}\t{Reversed(s)}"));
File.WriteAllLines(valid, Enumerable.Range(0, 200).Select(_ => Sentence()).Select(s => $"{s}\t{Reversed(s)}"));
string[] heldOut = [.. Enumerable.Range(0, 12).Select(_ => Sentence())];

// 2. Train with the library, as `sharpformer train --train train.tsv --valid valid.tsv --vocab-size 600` would (every word
//    becomes one token).
var result = TrainingRun.Start(new TrainingRunOptions
{
    Directory = modelDirectory, TrainFile = train, ValidFile = valid, VocabSize = 600, MaxLength = 16, BatchTokens = 512,
    Dropout = 0f, Training = new TrainingOptions { Steps = steps, EvalEvery = 0, SaveEvery = 0, LogEvery = 50 },
}).Run();
Console.WriteLine($"trained {result.Step} steps: validation loss {result.ValidLoss:F3}, token accuracy {result.TokenAccuracy:P1}");
var translator = Translator.Load(modelDirectory);

// 3. Export: encoder.onnx and decoder.onnx, and the tokenizer in Hugging Face's schema (as `sharpformer export onnx`).
var graphs = OnnxExport.Write(translator.Model, deployDirectory);
var tokenizerFiles = HuggingFaceTokenizerFile.Write(translator.Tokenizer, deployDirectory, translator.Model.Config.MaxLength);
foreach (string file in graphs.Concat(tokenizerFiles))
    Console.WriteLine($"  {Path.GetFileName(file),-22} {new FileInfo(file).Length / 1024.0,8:F1} KiB");

// 4. The exported tokenizer.json, read back, gives the model's ids (Python's `tokenizers` reads the same file).
var exported = ITokenizer.Load(Path.Combine(deployDirectory, "tokenizer.json"));
bool sameIds = heldOut.All(line => exported.Encode(line).SequenceEqual(translator.Tokenizer.Encode(line)));
Console.WriteLine($"exported tokenizer gives the model's ids on every held-out line: {sameIds}");

// 5. Greedy decoding through ONNX Runtime: encode once, then ask the decoder graph for the next token until <eos>. As
//    Translator does, the source is cut to the model's length less two and padding and <bos> are never chosen.
using var encoder = new InferenceSession(graphs[0]);
using var decoder = new InferenceSession(graphs[1]);
using var runOptions = new RunOptions();
var config = translator.Model.Config;
string OnnxTranslate(string text)
{
    long[] source = [.. exported.Encode(text).Take(config.MaxLength - 2)];
    using var sourceIds = OrtValue.CreateTensorValueFromMemory(source, [1, source.Length]);
    using var memory = encoder.Run(runOptions, ["source_ids"], [sourceIds], ["memory"]);
    var target = new List<long> { config.BosId };
    while (target.Count - 1 < config.MaxLength - 2)   // at most max_length − 2 tokens after <bos>, as Translator
    {
        using var targetIds = OrtValue.CreateTensorValueFromMemory(target.ToArray(), [1, target.Count]);
        using var logits = decoder.Run(runOptions, ["memory", "source_ids", "target_ids"], [memory[0], sourceIds, targetIds], ["logits"]);
        var scores = logits[0].GetTensorDataAsSpan<float>();
        int next = -1;
        for (int i = 0; i < scores.Length; i++)
            if (i != config.PadId && i != config.BosId && (next < 0 || scores[i] > scores[next])) next = i;
        if (next == config.EosId) break;
        target.Add(next);
    }
    return exported.Decode([.. target.Skip(1).Select(id => (int)id)]);
}

var sharpformer = translator.Translate(heldOut, DecodingOptions.Greedy);
int agree = 0, right = 0;
Console.WriteLine($"\n{"input",-42} {"Translator",-42} ONNX Runtime");
for (int i = 0; i < heldOut.Length; i++)
{
    string onnx = OnnxTranslate(heldOut[i]);
    agree += onnx == sharpformer[i] ? 1 : 0;
    right += sharpformer[i] == Reversed(heldOut[i]) ? 1 : 0;
    Console.WriteLine($"{heldOut[i],-42} {sharpformer[i],-42} {(onnx == sharpformer[i] ? "same" : onnx)}");
}
Console.WriteLine($"\nONNX Runtime agrees with Translator on {agree}/{heldOut.Length} lines; {right}/{heldOut.Length} reversed exactly");
Console.WriteLine($"files in {deployDirectory}");
