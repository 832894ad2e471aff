// Enhancement: int8 quantization. Each weight row is stored as bytes with one float scale, a quarter of the
// memory; decoding reads a quarter of the bytes per step and multiplies them with the CPU's int8 dot product.
// Usage: dotnet run --project examples/14-Quantization -c Release -- [decode-runs=5]
using System.Diagnostics;
using System.Globalization;
using Sharpformer.Autograd;
using Sharpformer.Generation;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tensors;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;

// 1. Why a scale per row: rows of a trained matrix differ in size (a frequent token's embedding, a busy output
//    unit). One scale for the whole matrix spends its 255 levels on the largest row and rounds small rows to zero.
var rng = new Rng(1);
const int Rows = 64, Columns = 256;
var values = new float[Rows * Columns];
for (int r = 0; r < Rows; r++)
{
    float size = MathF.Pow(10, -2 + 2f * r / (Rows - 1));                  // row magnitudes from 0.01 to 1
    for (int c = 0; c < Columns; c++) values[r * Columns + c] = size * (2 * rng.NextFloat() - 1);
}
var w = Tensor.FromArray(values, Rows, Columns);
var perRow = QuantizedMatrix.Quantize(w).Dequantize().ToArray();
float tensorScale = values.Max(MathF.Abs) / QuantizedMatrix.MaxLevel;
var perTensor = values.Select(v => MathF.Round(v / tensorScale) * tensorScale).ToArray();
Console.WriteLine("1. relative error of a row, |w − dequantize(quantize(w))| / |w|, for rows of magnitude 0.01 … 1:");
Console.WriteLine($"   {"row size",9} {"per tensor",11} {"per row",9}");
int[] shown = [0, 16, 32, 48, 63];
foreach (int r in shown)
    Console.WriteLine($"   {values.Skip(r * Columns).Take(Columns).Max(MathF.Abs),9:F3} " +
                      $"{RowError(perTensor, r),10:P1} {RowError(perRow, r),9:P2}");
// libtorch: the same per-row rounding written with torch ops (max |row| / 127, round, clamp), on the rows shown.
Libtorch.Compare("per-row round trip of those rows (amax, round, clamp in torch)", "14.round_trip",
    Tensor.FromArray([.. shown.SelectMany(r => perRow.Skip(r * Columns).Take(Columns))], shown.Length, Columns), 1e-6);

// 2. A whole model: the same logits to within a fraction of a percent of their range, at a quarter of the bytes.
var config = TransformerConfig.Big() with { MaxLength = 128, Dropout = 0f };
var model = (Transformer)new Transformer(config, new Rng(2)).Eval();
var int8 = (Transformer)new Transformer(config, new Rng(2)).Eval();     // the same weights …
int8.QuantizeWeights();                                                  // … as int8
var source = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => (float)(3 + i * 37 % 7000))], 1, 32);
var target = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)(1 + i * 53 % 7000))], 1, 16);
float[] fp32Logits, int8Logits;
using (GradMode.NoGrad())
{
    fp32Logits = model.TeacherForcedLogits(source, target).ToArray();
    int8Logits = int8.TeacherForcedLogits(source, target).ToArray();
}
float range = fp32Logits.Max() - fp32Logits.Min(), worst = fp32Logits.Zip(int8Logits, (a, b) => MathF.Abs(a - b)).Max();
long fp32Bytes = 4 * model.ParameterCount();
long int8Bytes = 4 * int8.ParameterCount() + int8.NamedInt8Weights().Sum(m => m.Blocks.Sum(b => b.Bytes));
Console.WriteLine($"\n2. the big model ({model.ParameterCount():N0} parameters): weights {fp32Bytes / 1e6:F1} MB float32, " +
                  $"{int8Bytes / 1e6:F1} MB int8 ({100.0 * int8Bytes / fp32Bytes:F0}%)");
Console.WriteLine($"   largest logit difference {worst:F4} for a logit range of {range:F2} ({worst / range:P2})");

// 3. Greedy decoding with the key/value cache: each step streams every weight once, so fewer bytes go faster.
double Rate(Transformer m)
{
    var rates = new List<double>();
    for (int run = 0; run < runs + 1; run++)
    {
        var clock = Stopwatch.StartNew();
        var tokens = Greedy.Decode(m, source, maxLength: 32)[0].Tokens.Length;
        if (run > 0) rates.Add(Math.Max(1, tokens) / clock.Elapsed.TotalSeconds);   // the first run warms up
    }
    return rates.Order().ElementAt(rates.Count / 2);
}
double fp32Rate = Rate(model), int8Rate = Rate(int8);
Console.WriteLine($"\n3. cached greedy decoding, {Sharpformer.Kernels.Parallelism.Threads} thread(s): " +
                  $"{fp32Rate:F0} tokens/s float32, {int8Rate:F0} tokens/s int8 ({int8Rate / fp32Rate:F1}x)");

// 4. The model directory keeps the format: config.json says "weights": "int8", model.safetensors holds I8 + F32 scales.
string directory = Directory.CreateTempSubdirectory("sharpformer-int8-example-").FullName;
try
{
    ModelDirectory.Save(int8, directory);
    var loaded = ModelDirectory.Load(directory);
    Console.WriteLine($"\n4. saved and loaded: {new FileInfo(Path.Combine(directory, ModelDirectory.WeightsFile)).Length / 1e6:F1} MB, " +
                      $"int8 again: {loaded.IsQuantized}");
}
finally
{
    Directory.Delete(directory, recursive: true);
}

double RowError(float[] approximate, int row)
{
    double error = 0, norm = 0;
    for (int c = 0; c < Columns; c++)
    {
        double v = values[row * Columns + c];
        error += (approximate[row * Columns + c] - v) * (approximate[row * Columns + c] - v);
        norm += v * v;
    }
    return Math.Sqrt(error / norm);
}
