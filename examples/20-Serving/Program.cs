// Issue 18: a trained model behind HTTP. Trains a tiny translation model (word order reversed), serves it with
// TranslationServer — what `sharpformer serve` runs — on a free loopback port, and talks to it as an application
// would: concurrent POST /v1/translate requests (merged into shared decoding batches), a refused request, and the
// model's description; then checks every answer against the library's Translator.
// Usage: dotnet run --project examples/20-Serving -c Release -- [steps (400: about 10 s)] [out-dir]
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Sharpformer.Generation;
using Sharpformer.Server;
using Sharpformer.Tensors;
using Sharpformer.Training;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
string root = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "sharpformer-example-20");
if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
string modelDirectory = Path.Combine(root, "reverse-words");

// 1. A model to serve: sentences of 3–6 words, translated into the same words in reverse order.
string[] words = ["the", "light", "earth", "water", "heaven", "day", "night", "said", "made", "good", "great", "king"];
var rng = new Rng(20);
string Sentence() => string.Join(' ', Enumerable.Range(0, 3 + rng.NextInt(4)).Select(_ => words[rng.NextInt(words.Length)]));
Directory.CreateDirectory(root);
string train = Path.Combine(root, "train.tsv");
File.WriteAllLines(train, Enumerable.Range(0, 2000).Select(_ => Sentence())
    .Select(s => $"{s}\t{string.Join(' ', s.Split(' ').Reverse())}"));
var trained = TrainingRun.Start(new TrainingRunOptions
{
    Directory = modelDirectory, TrainFile = train, VocabSize = 400, MaxLength = 14, BatchTokens = 512, Dropout = 0f,
    Training = new TrainingOptions { Steps = steps, EvalEvery = 0, SaveEvery = 0, LogEvery = 100 },
}).Run();
Console.WriteLine($"trained {trained.Step} steps");

// 2. Serve it: port 0 picks a free port; a batch may wait 20 ms for requests still arriving.
var options = new ServerOptions { Port = 0, MaxBatch = 16, BatchWaitMilliseconds = 20 };
await using var server = await TranslationServer.StartAsync([ServedModel.Open(modelDirectory)], options, Console.WriteLine);
Console.WriteLine($"serving at {server.Url}");
using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

// 3. Sixteen clients at once, one sentence each: the server decodes them in shared batches.
string[] sentences = [.. Enumerable.Range(0, 16).Select(_ => Sentence())];
var answers = await Task.WhenAll(sentences.Select(async sentence =>
{
    using var response = await http.PostAsJsonAsync("/v1/translate", new { text = sentence, beam = 2 });
    response.EnsureSuccessStatusCode();
    return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}));
var translator = Translator.Load(modelDirectory);
int agree = 0;
for (int i = 0; i < sentences.Length; i++)
{
    var result = answers[i].GetProperty("results")[0];
    string text = result.GetProperty("translations")[0].GetProperty("text").GetString()!;
    agree += text == translator.Translate(sentences[i], DecodingOptions.Beam(2)) ? 1 : 0;
    if (i < 4)
        Console.WriteLine($"  {sentences[i],-36} → {text,-36} (decoded with {answers[i].GetProperty("batch_lines")} lines, " +
                          $"{answers[i].GetProperty("timings_ms").GetProperty("total")} ms)");
}
Console.WriteLine($"widest batch: {answers.Max(a => a.GetProperty("batch_lines").GetInt32())} lines from concurrent requests");
Console.WriteLine($"server answers agree with Translator on {agree}/{sentences.Length} lines");

// 4. A bad request is refused with a JSON error, and the model describes itself.
using (var refused = await http.PostAsJsonAsync("/v1/translate", new { text = "the day", beams = 4 }))
    Console.WriteLine($"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
var model = JsonDocument.Parse(await http.GetStringAsync("/v1/model")).RootElement;
var tokenizer = model.GetProperty("tokenizer");
Console.WriteLine($"GET /v1/model: {model.GetProperty("name")}, {model.GetProperty("kind")}, {model.GetProperty("parameters")} " +
                  $"parameters, {tokenizer.GetProperty("type")} tokenizer of {tokenizer.GetProperty("vocab_size")}");
await server.StopAsync();
