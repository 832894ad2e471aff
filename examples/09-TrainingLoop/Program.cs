// Week 9 mini project: training infrastructure with logging.
// A hand-written loop over the library's pieces — Adam with the paper's warmup schedule, label-smoothed
// cross-entropy, global-norm gradient clipping — logging to the console and to metrics.jsonl, then
// saving the model directory. (`sharpformer train` runs the full Trainer: accumulation, evaluation,
// checkpoints and exact resume.) Usage: dotnet run --project examples/09-TrainingLoop -- [steps=300] [out-dir]
using Sharpformer.Data;
using Sharpformer.Losses;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Text;
using Sharpformer.Training;

int steps = args.Length > 0 && int.TryParse(args[0], out int s) && s > 0 ? s : 300;
string output = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "sharpformer-week9");
Directory.CreateDirectory(output);
File.Delete(Path.Combine(output, MetricsLog.FileName));

var task = new ToyTask(ToyTaskKind.Reverse, vocab: 20, minLength: 4, maxLength: 10);
var rng = new Rng(seed: 9);
var model = new Transformer(TransformerConfig.Tiny(task.Vocab) with { MaxLength = 32 }, rng);
var data = new ToyTaskBatches(task, batchSize: 64, seed: 10);
var valid = ToyTaskBatches.Fixed(task, batchSize: 64, count: 2, seed: 11);
var adam = new Adam(model.Parameters(), beta2: 0.98f, eps: 1e-9f);                // the paper's β₂ and ε
var schedule = LearningRateSchedule.Noam(model.Config.DModel, warmup: 100, factor: 0.15f); // peak 1.9e-3 at step 100
var metrics = new MetricsLog(Path.Combine(output, MetricsLog.FileName));
Console.WriteLine($"{model.ParameterCount():N0} parameters; reversing sequences of {task.MinLength}-{task.MaxLength} tokens " +
                  $"for {steps} steps");

// Before any update, in eval mode (no dropout): the label-smoothed loss of a validation batch, beside ln C (a uniform
// guess) and libtorch's loss for the same weights and batch (torch.nn.Transformer, F.cross_entropy with label_smoothing).
model.Eval();
float initial;
using (Sharpformer.Autograd.GradMode.NoGrad())
    initial = CrossEntropy.Loss(model.Forward(valid[0].Source, valid[0].TargetInput), valid[0].TargetOutput,
        ignoreIndex: SpecialTokens.Pad, labelSmoothing: 0.1f).Item();
model.Train();
double theirs = Libtorch.Values("09.initial_loss")[0];
Console.WriteLine($"before training: loss {initial:F4} on a validation batch (ln {task.Vocab} = {Math.Log(task.Vocab):F4}; " +
                  $"libtorch: {theirs:F4})");
if (Math.Abs(initial - theirs) > 1e-4) throw new InvalidOperationException($"the initial loss {initial} is not libtorch's {theirs}");

var clock = System.Diagnostics.Stopwatch.StartNew();
for (int step = 0; step < steps; step++)
{
    var batch = data.Next();
    var logits = model.Forward(batch.Source, batch.TargetInput);                      // [B, T, vocab]
    var loss = CrossEntropy.Loss(logits, batch.TargetOutput, ignoreIndex: SpecialTokens.Pad, labelSmoothing: 0.1f);
    adam.ZeroGrad();
    loss.Backward();
    float gradNorm = GradientClipping.ClipByGlobalNorm(model.Parameters(), maxNorm: 1f); // the norm before clipping
    adam.Lr = schedule.At(step);
    adam.Step();

    if ((step + 1) % 25 == 0)
    {
        var (validLoss, accuracy) = TeacherForcedEvaluation.Run(model, valid);
        double tokensPerSecond = (step + 1) * batch.TargetTokens / clock.Elapsed.TotalSeconds;
        metrics.Append(step + 1, 0, loss.Item(), adam.Lr, gradNorm, tokensPerSecond, clock.Elapsed.TotalSeconds,
            new ValidationScores(validLoss, accuracy));
        Console.WriteLine($"step {step + 1,4}  loss {loss.Item():F3}  lr {adam.Lr:E2}  |grad| {gradNorm,5:F2}  " +
                          $"val loss {validLoss:F3}  val acc {accuracy,6:P1}  {tokensPerSecond,6:F0} tok/s");
    }
}
ModelDirectory.Save(model, output);
Console.WriteLine($"model and metrics.jsonl written to {output}");
