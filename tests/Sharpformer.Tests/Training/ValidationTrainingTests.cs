using System.Text.Json;
using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Optim;
using Sharpformer.Tensors;
using Sharpformer.Training;

namespace Sharpformer.Tests.Training;

/// <summary>
/// Issue 19's training options: BLEU at each evaluation, the best model kept, patience, the weights kept for averaging,
/// the moving average, and the time budget — each checked against what it promises, on a small translation task.
/// </summary>
public sealed class ValidationTrainingTests : IDisposable
{
    private static readonly string[] English = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    private static readonly string[] Spanish = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"];

    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-validation-").FullName;

    public ValidationTrainingTests()
    {
        WritePairs("train.tsv", 400, seed: 1);
        WritePairs("valid.tsv", 24, seed: 2);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Digits spelt out in English, translated word by word into Spanish.
    private void WritePairs(string name, int count, ulong seed)
    {
        var rng = new Rng(seed);
        var lines = Enumerable.Range(0, count).Select(_ =>
        {
            int[] digits = [.. Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => rng.NextInt(10))];
            return string.Join(' ', digits.Select(d => English[d])) + "\t" + string.Join(' ', digits.Select(d => Spanish[d]));
        });
        File.WriteAllLines(Path.Combine(_root, name), lines);
    }

    private TrainingRunOptions Run(string name, TrainingOptions training) => new()
    {
        Directory = Path.Combine(_root, name), TrainFile = Path.Combine(_root, "train.tsv"), ValidFile = Path.Combine(_root, "valid.tsv"),
        Preset = "tiny", VocabSize = 300, MaxLength = 24, BatchTokens = 384,
        Training = training,
    };

    private static TrainingOptions Options(int steps) => new()
    {
        Steps = steps, Lr = 3e-3f, Warmup = 5, EvalEvery = 10, SaveEvery = 10, LogEvery = 5, Seed = 4,
    };

    private static List<JsonElement> Evaluations(string directory) => [.. File.ReadAllLines(Path.Combine(directory, MetricsLog.FileName))
        .Select(line => JsonDocument.Parse(line).RootElement).Where(e => e.TryGetProperty("val_loss", out _))];

    [Fact]
    public void EachEvaluationLogsTheBleuAndChrfOfTheModelsOwnTranslations()
    {
        var setup = Run("bleu", Options(30) with { EvalBleu = true });
        var run = TrainingRun.Start(setup);
        run.Run();

        var evaluations = Evaluations(setup.Directory);
        Assert.Equal([10, 20, 30], evaluations.Select(e => e.GetProperty("step").GetInt32()));
        Assert.All(evaluations, e => Assert.InRange(e.GetProperty("val_chrf").GetDouble(), 0, 100));
        // The last evaluation scored the model the run wrote: translating the pairs with it gives the same numbers.
        var final = ModelDirectory.Open(setup.Directory);
        var (bleu, chrf) = new TranslationValidation(final.Tokenizer, run.Data.ValidPairs).Score(final.Translator);
        Assert.Equal(Math.Round(bleu, 4), evaluations[^1].GetProperty("val_bleu").GetDouble());
        Assert.Equal(Math.Round(chrf, 4), evaluations[^1].GetProperty("val_chrf").GetDouble());
        Assert.True(evaluations[^1].GetProperty("val_chrf").GetDouble() > evaluations[0].GetProperty("val_chrf").GetDouble(),
            "the translations get better as the model trains");
    }

    [Fact]
    public void ValidationTranslationsStopAtOneAndAHalfTimesTheirBatchesLongestSource()
    {
        // An untrained model rarely says <eos>; its maximum length (120) is well above the cap (about 25).
        var run = TrainingRun.Start(Run("untrained", Options(1)) with { MaxLength = 120 });
        var validation = new TranslationValidation(run.Data.Tokenizer, run.Data.ValidPairs);
        var lengths = run.Data.ValidPairs.Select(p => run.Data.Tokenizer.Encode(p.Source).Length).ToList();

        var hypotheses = validation.Translate((Transformer)run.Model);

        Assert.True(run.Model.IsTraining);
        int cap = (int)(TranslationValidation.LengthFactor * lengths.Max()) + TranslationValidation.ExtraTokens;   // one batch of 24
        var translator = new Sharpformer.Generation.Translator((Transformer)run.Model, run.Data.Tokenizer);
        string[] sources = [.. run.Data.ValidPairs.Select(p => p.Source)];
        var cut = Sharpformer.Generation.DecodingOptions.Greedy with { MaxOutputTokens = cap };
        Assert.Equal(translator.Translate(sources, cut), hypotheses);
        var uncut = translator.Translate(sources);
        Assert.Contains(Enumerable.Range(0, sources.Length), i => uncut[i].Length > hypotheses[i].Length);   // the cap stopped some
    }

    [Theory]
    [InlineData(BestMetric.Bleu)]
    [InlineData(BestMetric.Loss)]
    public void KeepBestKeepsTheModelOfTheBestEvaluation(BestMetric by)
    {
        var setup = Run("best-" + by, Options(60) with
        {
            EvalBleu = true, KeepBest = true, BestBy = by, Lr = 2e-2f, EvalEvery = 5,
        });
        var run = TrainingRun.Start(setup);
        run.Run();

        var evaluations = Evaluations(setup.Directory);
        // The highest BLEU (of equal ones, the lowest loss), or the lowest loss; the first of equals.
        var ranked = evaluations.Select((e, i) => (e, i, Bleu: by == BestMetric.Bleu ? e.GetProperty("val_bleu").GetDouble() : 0,
            Loss: e.GetProperty("val_loss").GetDouble())).ToList();
        var winner = ranked.OrderByDescending(r => r.Bleu).ThenBy(r => r.Loss).ThenBy(r => r.i).First().e;
        string best = Path.Combine(setup.Directory, Trainer.BestFolder);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(best, Trainer.BestRecordFile)));
        Assert.Equal(winner.GetProperty("step").GetInt32(), record.RootElement.GetProperty("step").GetInt32());
        Assert.Equal(run.Trainer.Best!.Step, record.RootElement.GetProperty("step").GetInt32());
        Assert.NotEqual(60, run.Trainer.Best.Step);   // at this learning rate the last model is not the best: the test can tell
        // best/ is a model directory, and its model is the one that scored: its translations score the same again.
        var kept = ModelDirectory.Open(best);
        var (bleu, _) = new TranslationValidation(kept.Tokenizer, run.Data.ValidPairs).Score(kept.Translator);
        Assert.Equal(Math.Round(bleu, 4), winner.GetProperty("val_bleu").GetDouble());
    }

    [Fact]
    public void ALoraRunKeepsItsBestAdaptersAndTheirAverageAsAdapterDirectories()
    {
        string base_ = Path.Combine(_root, "lora-base");
        TrainingRun.Start(Run("lora-base", Options(60) with { Lr = 2e-2f, EvalEvery = 0, SaveEvery = 0 })).Run();
        var adapt = Run("lora", Options(40) with { EvalBleu = true, KeepBest = true, Ema = 0.9f, Lr = 1e-1f, EvalEvery = 5 }) with
        {
            InitFrom = base_, Lora = new LoraOptions { Rank = 4, Targets = LoraTargets.All },
        };
        var run = TrainingRun.Start(adapt);
        run.Run();

        string best = Path.Combine(adapt.Directory, Trainer.BestFolder), ema = Path.Combine(adapt.Directory, Trainer.EmaFolder);
        foreach (string kept in new[] { best, ema })
        {
            Assert.True(LoraDirectory.Holds(kept), $"{kept} is not an adapter directory");
            Assert.False(File.Exists(Path.Combine(kept, ModelDirectory.WeightsFile)), "a LoRA run keeps adapters, not models");
            Assert.Equal(File.ReadAllBytes(Path.Combine(adapt.Directory, LoraDirectory.ConfigFile)),
                File.ReadAllBytes(Path.Combine(kept, LoraDirectory.ConfigFile)));
        }
        // best/ holds the adapters of the best evaluation, not the last: opened on their base, they score its BLEU again.
        var winner = Evaluations(adapt.Directory).Single(e => e.GetProperty("step").GetInt32() == run.Trainer.Best!.Step);
        Assert.True(run.Trainer.Best!.Step < 40, "at this learning rate the last adapters are not the best: the test can tell");
        var adapted = ModelDirectory.Open(best);
        var (bleu, _) = new TranslationValidation(adapted.Tokenizer, run.Data.ValidPairs).Score(adapted.Translator);
        Assert.Equal(Math.Round(bleu, 4), winner.GetProperty("val_bleu").GetDouble());
        // Opened with the adapters apart, the same adapters translate as their merged model.
        var apart = LoraDirectory.Open(best, merge: false);
        Assert.True(apart.Model.HasLora);
        string[] sources = [.. run.Data.ValidPairs.Select(p => p.Source)];
        IReadOnlyList<string> Translate(ModelFiles files) =>
            new Sharpformer.Generation.Translator(files.Translator, files.Tokenizer).Translate(sources);
        Assert.Equal(Translate(adapted), Translate(apart));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(adapt.Directory, LoraDirectory.AdapterFile)),
            File.ReadAllBytes(Path.Combine(best, LoraDirectory.AdapterFile)));
        // ema/ holds the adapters' average alone (the base's weights are not averaged), and opens on the base too.
        var adapters = run.Model.NamedParameters().Where(p => p.Value.RequiresGrad).Select(p => p.Name).Order().ToList();
        Assert.Equal(adapters, SafeTensors.Read(Path.Combine(ema, LoraDirectory.AdapterFile)).Tensors.Select(t => t.Key).Order());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(adapt.Directory, LoraDirectory.AdapterFile)),
            File.ReadAllBytes(Path.Combine(ema, LoraDirectory.AdapterFile)));
        Assert.IsType<Transformer>(ModelDirectory.Open(ema).Model);
        // The checkpoint holds best/'s adapters: a resume writes best/ again, byte for byte.
        byte[] bestAdapters = File.ReadAllBytes(Path.Combine(best, LoraDirectory.AdapterFile));
        Directory.Delete(best, recursive: true);
        TrainingRun.Start(adapt with { Resume = true }).Run();
        Assert.Equal(bestAdapters, File.ReadAllBytes(Path.Combine(best, LoraDirectory.AdapterFile)));

        var averaging = adapt with { Directory = Path.Combine(_root, "lora-average"), Training = adapt.Training with { AverageLast = 2 } };
        Assert.Contains("a LoRA run keeps only its adapters", Assert.Throws<ArgumentException>(() => TrainingRun.Start(averaging)).Message);
    }

    [Fact]
    public void PatienceStopsAtTheFirstEvaluationThatMakesItRunOut()
    {
        var setup = Run("patience", Options(200) with { Patience = 2, EvalEvery = 2, Lr = 2e-2f });
        var run = TrainingRun.Start(setup);
        var result = run.Run();
        int last = result.Step;
        Assert.Equal(TrainingEnd.PatienceRanOut, result.End);

        // Replaying the rule over the logged evaluations finds the same stop, before the last step.
        var losses = Evaluations(setup.Directory).Select(e => (Step: e.GetProperty("step").GetInt32(), Loss: e.GetProperty("val_loss")
            .GetDouble())).ToList();
        double best = double.PositiveInfinity;
        int since = 0, stop = 200, bestStep = 0;
        foreach (var (step, loss) in losses)
        {
            (best, since, bestStep) = loss < best ? (loss, 0, step) : (best, since + 1, bestStep);
            if (since == 2)
            {
                stop = step;
                break;
            }
        }
        Assert.True(stop < 200, "the validation loss kept improving: the test cannot tell");
        Assert.Equal(stop, last);
        Assert.Equal(stop, losses[^1].Step);
        Assert.Equal(2, run.Trainer.Best!.EvaluationsSince);
        Assert.Equal(last, TrainerCheckpoint.TryRead(setup.Directory)!.Step);   // the stop wrote its checkpoint
        Assert.Equal($"its patience ran out (2 evaluations without a better score than step {bestStep}'s)",
                     result.EndDescription);
        // Resuming a run that ran out of patience trains no further, and says why.
        var resumed = TrainingRun.Start(setup with { Resume = true }).Run();
        Assert.Equal((last, TrainingEnd.PatienceRanOut), (resumed.Step, resumed.End));
    }

    [Fact]
    public void TheMovingAverageFollowsItsFormulaAfterEveryUpdate()
    {
        const float decay = 0.5f;   // (1 + n) / (10 + n) passes it at n = 9: both sides of the min are used
        var setup = Run("ema", Options(14) with { Ema = decay, SaveEvery = 0, EvalEvery = 0 });
        var run = TrainingRun.Start(setup);
        var parameters = run.Model.NamedParameters().ToList();
        var expected = parameters.Select(p => p.Value.ToArray().Select(v => (double)v).ToArray()).ToList();
        run.Trainer.Progress = p =>
        {
            double d = Math.Min(decay, (1.0 + p.Step) / (10.0 + p.Step));
            for (int i = 0; i < parameters.Count; i++)
            {
                var w = parameters[i].Value.AsSpan();
                for (int j = 0; j < w.Length; j++) expected[i][j] = d * expected[i][j] + (1 - d) * w[j];
            }
        };
        run.Run();

        var ema = SafeTensors.Read(Path.Combine(setup.Directory, Trainer.EmaFolder, ModelDirectory.WeightsFile));
        for (int i = 0; i < parameters.Count; i++)
        {
            var stored = ema[parameters[i].Name].ToArray();
            for (int j = 0; j < stored.Length; j++) Assert.Equal(expected[i][j], stored[j], 1e-5);
        }
        var latest = SafeTensors.Read(Path.Combine(setup.Directory, ModelDirectory.WeightsFile));
        Assert.NotEqual(latest[parameters[0].Name].ToArray(), ema[parameters[0].Name].ToArray());
        Assert.IsType<Transformer>(ModelDirectory.Open(Path.Combine(setup.Directory, Trainer.EmaFolder)).Model);
    }

    [Fact]
    public void AverageLastKeepsTheLastCheckpointsAndTheirMeanIsAModel()
    {
        var setup = Run("average", Options(50) with { AverageLast = 3, SaveEvery = 10, EvalEvery = 0 });
        TrainingRun.Start(setup).Run();

        var kept = CheckpointAverage.List(setup.Directory);
        Assert.Equal([30, 40, 50], kept.Select(k => k.Step));
        string output = Path.Combine(_root, "averaged");
        Assert.Equal([40, 50], CheckpointAverage.Write(setup.Directory, 2, output));

        var files = kept.Skip(1).Select(k => SafeTensors.Read(k.Path)).ToList();
        var mean = SafeTensors.Read(Path.Combine(output, ModelDirectory.WeightsFile));
        Assert.Equal(files[0].Tensors.Count, mean.Tensors.Count);
        foreach (var (name, tensor) in mean.Tensors)
        {
            float[] a = files[0][name].ToArray(), b = files[1][name].ToArray(), m = tensor.ToArray();
            for (int j = 0; j < m.Length; j++) Assert.Equal((float)(((double)a[j] + b[j]) / 2), m[j]);
        }
        // The last kept checkpoint is the run's final model.
        var final = SafeTensors.Read(Path.Combine(setup.Directory, ModelDirectory.WeightsFile));
        foreach (var (name, tensor) in files[1].Tensors) Assert.Equal(final[name].ToArray(), tensor.ToArray());
        Assert.NotEmpty(Sharpformer.Generation.Translator.Load(output).Translate("one two"));
    }

    [Fact]
    public void AveragingRefusesWhatItCannotDo()
    {
        var setup = Run("few", Options(20) with { AverageLast = 2, SaveEvery = 10, EvalEvery = 0 });
        TrainingRun.Start(setup).Run();

        Assert.Contains("keeps 2 checkpoints (steps 10, 20), not 3",
            Assert.Throws<ArgumentException>(() => CheckpointAverage.Write(setup.Directory, 3, Path.Combine(_root, "x"))).Message);
        Assert.Contains("another directory than the run's own",
            Assert.Throws<ArgumentException>(() => CheckpointAverage.Write(setup.Directory, 2, setup.Directory)).Message);
        Assert.Contains("keeps no checkpoints to average",
            Assert.Throws<ArgumentException>(() => CheckpointAverage.Write(_root, 1, Path.Combine(_root, "y"))).Message);
        Assert.False(Directory.Exists(Path.Combine(_root, "x")));
    }

    [Fact]
    public void ATimeBudgetEndsTheRunAndItsScheduleTogether()
    {
        var setup = Run("budget", Options(int.MaxValue) with { MaxMinutes = 0.04, Warmup = 3, EvalEvery = 0, SaveEvery = 0, LogEvery = 1 });
        var run = TrainingRun.Start(setup);
        var progress = new List<TrainingProgress>();
        run.Trainer.Progress = progress.Add;
        var result = run.Run();
        Assert.Equal((TrainingEnd.TimeSpent, "its 0.04 minutes of training are spent"), (result.End, result.EndDescription));

        var checkpoint = TrainerCheckpoint.TryRead(setup.Directory)!;
        Assert.InRange(checkpoint.TrainingSeconds, 2.4, 20);   // stopped at the budget: the first update past 2.4 s
        Assert.True(checkpoint.Step > 5, $"only {checkpoint.Step} steps in 2.4 s");
        var rates = progress.Select(p => p.Lr).ToList();
        Assert.Equal(3e-3f, rates[2], 1e-9f);   // the peak at the end of warmup
        for (int i = 3; i < rates.Count; i++) Assert.True(rates[i] <= rates[i - 1] * (1 + 1e-6f), $"the rate rose at step {i + 1}");
        Assert.True(rates[^1] < 0.15f * 3e-3f, $"the last rate {rates[^1]} is not near the end of its decay");
        Assert.True(progress[^1].Last);
        Assert.Equal(1.0, progress[^1].Fraction);
        Assert.Contains(progress, p => p.TotalIsEstimate);
        // metrics.jsonl logs the seconds of updates, the budget's clock.
        var lastLine = JsonDocument.Parse(File.ReadLines(Path.Combine(setup.Directory, MetricsLog.FileName)).Last()).RootElement;
        Assert.Equal(Math.Round(checkpoint.TrainingSeconds, 3), lastLine.GetProperty("train_s").GetDouble(), 1e-9);
        // The time is spent: resuming trains no further; a larger budget continues.
        Assert.Equal(checkpoint.Step, TrainingRun.Start(setup with { Resume = true }).Run().Step);
        var longer = TrainingRun.Start(setup with { Resume = true, ResumeMaxMinutes = 0.06 }).Run();
        Assert.True(longer.Step > checkpoint.Step);
        Assert.Equal(TrainingEnd.TimeSpent, longer.End);
    }

    [Fact]
    public void AResumedRunKeepsTheSameBestAverageAndKeptWeightsAsAnUnbrokenOne()
    {
        var options = Options(40) with { EvalBleu = true, KeepBest = true, AverageLast = 2, Ema = 0.95f, Patience = 3, EvalEvery = 5 };
        TrainingRun.Start(Run("whole", options)).Run();
        var broken = TrainingRun.Start(Run("broken", options));
        broken.Trainer.Progress = p =>
        {
            if (p.Step == 27) throw new TimeoutException("cut after the step-20 checkpoint, and after later evaluations");
        };
        Assert.Throws<TimeoutException>(() => broken.Run());
        // As a kill after a best/ written past the checkpoint would leave it: the resume writes best/ as of its checkpoint.
        File.WriteAllText(Path.Combine(_root, "broken", Trainer.BestFolder, Trainer.BestRecordFile), "{\"step\": 25}");
        File.Delete(Path.Combine(_root, "broken", Trainer.BestFolder, ModelDirectory.WeightsFile));

        TrainingRun.Start(Run("broken", options) with { Resume = true }).Run();

        // The log's timings differ from run to run; everything else in it is the same.
        string Untimed(string run) => string.Join('\n', File.ReadLines(Path.Combine(_root, run, MetricsLog.FileName))
            .Select(line => System.Text.RegularExpressions.Regex.Replace(line, "\"(tokens_per_s|train_s)\":[0-9.E+-]+,?", "")));
        Assert.Equal(Untimed("whole"), Untimed("broken"));
        string[] files =
        [
            ModelDirectory.WeightsFile, Path.Combine(Trainer.EmaFolder, ModelDirectory.WeightsFile),
            Path.Combine(Trainer.BestFolder, ModelDirectory.WeightsFile), Path.Combine(Trainer.BestFolder, Trainer.BestRecordFile),
            Path.Combine(CheckpointAverage.Folder, "step-000030.safetensors"),
            Path.Combine(CheckpointAverage.Folder, "step-000040.safetensors"),
        ];
        foreach (var file in files)
        {
            byte[] unbroken = File.ReadAllBytes(Path.Combine(_root, "whole", file));
            Assert.True(unbroken.SequenceEqual(File.ReadAllBytes(Path.Combine(_root, "broken", file))), $"{file} differs");
        }
        Assert.Equal(2, CheckpointAverage.List(Path.Combine(_root, "broken")).Count);
    }

    [Theory]
    [InlineData("bleu-without-pairs", "eval-bleu translates the validation pairs")]
    [InlineData("best-without-valid", "keep-best and patience compare evaluations")]
    [InlineData("best-by-bleu", "choosing the best model by BLEU needs eval-bleu")]
    [InlineData("beam", "the evaluation beam must be in [1, 64]")]
    [InlineData("ema", "the EMA decay must be in (0, 1)")]
    [InlineData("minutes", "max-minutes must not be negative")]
    [InlineData("patience", "patience counts evaluations: it needs eval-every")]
    [InlineData("average", "average-last keeps checkpoints: it needs save-every")]
    public void OptionsThatCannotWorkAreRefused(string mistake, string message)
    {
        var setup = Run(mistake, Options(10));
        setup = mistake switch
        {
            "bleu-without-pairs" => setup with
            {
                TrainFile = null, ValidFile = null, Task = "reverse", Training = setup.Training with { EvalBleu = true },
            },
            "best-without-valid" => setup with { ValidFile = null, Training = setup.Training with { KeepBest = true } },
            "best-by-bleu" => setup with { Training = setup.Training with { BestBy = BestMetric.Bleu } },
            "beam" => setup with { Training = setup.Training with { EvalBleu = true, EvalBeam = 0 } },
            "ema" => setup with { Training = setup.Training with { Ema = 1f } },
            "patience" => setup with { Training = setup.Training with { Patience = 2, EvalEvery = 0 } },
            "average" => setup with { Training = setup.Training with { AverageLast = 3, SaveEvery = 0 } },
            _ => setup with { Training = setup.Training with { MaxMinutes = -1 } },
        };

        Assert.Contains(message, Assert.Throws<ArgumentException>(() => TrainingRun.Start(setup)).Message);
    }

    [Fact]
    public void ADecayingScheduleFollowsTheProgressItIsGiven()
    {
        var cosine = LearningRateSchedule.WarmupCosine(1f, warmup: 10, totalSteps: 1000);
        Assert.Equal(0.5f, cosine.AtProgress(500, 0.5), 1e-6f);
        Assert.Equal(1f, cosine.AtProgress(10, 0), 1e-6f);
        Assert.Equal(0f, cosine.AtProgress(20, 1.5), 1e-6f);
        Assert.Equal(0.3f, cosine.AtProgress(2, 0.9), 1e-6f);   // warmup goes by steps
        Assert.Equal(cosine.At(400), cosine.AtProgress(400, 390.0 / 990));
        Assert.Equal(0.75f, LearningRateSchedule.WarmupLinear(1f, 0, 100).AtProgress(3, 0.25), 1e-6f);
        var noam = LearningRateSchedule.Noam(64, 10);
        Assert.Equal(noam.At(50), noam.AtProgress(50, 0.9));   // no end: progress does not apply
    }

    [Fact]
    public void BestSoFarCountsEvaluationsWithoutABetterScore()
    {
        var first = new ValidationScores(3f, 0.1f, Bleu: 0, Chrf: 5);
        var record = BestSoFar.After(null, 10, first, BestMetric.Bleu);
        record = BestSoFar.After(record, 20, first with { Loss = 2.5f }, BestMetric.Bleu);   // the same BLEU, a lower loss: better
        Assert.Equal(new BestSoFar(20, BestMetric.Bleu, first with { Loss = 2.5f }, 0), record);
        record = BestSoFar.After(record, 30, first with { Loss = 2.5f }, BestMetric.Bleu);   // equal is not better
        record = BestSoFar.After(record, 40, first with { Loss = float.NaN, Bleu = 9 }, BestMetric.Bleu);   // nor is a NaN loss
        Assert.Equal((20, 2), (record!.Step, record.EvaluationsSince));
        Assert.Equal(50, BestSoFar.After(record, 50, first with { Bleu = 0.5, Loss = 4 }, BestMetric.Bleu)!.Step);
        // Ranked by loss, BLEU does not count; a record kept by another metric starts again.
        var byLoss = BestSoFar.After(null, 10, first, BestMetric.Loss);
        Assert.Equal(1, BestSoFar.After(byLoss, 20, first with { Bleu = 30, Loss = 3.1f }, BestMetric.Loss)!.EvaluationsSince);
        Assert.Equal(new BestSoFar(60, BestMetric.Loss, first with { Loss = 2.6f }, 0),
            BestSoFar.After(record, 60, first with { Loss = 2.6f }, BestMetric.Loss));
        Assert.Null(BestSoFar.After(null, 10, first with { Loss = float.PositiveInfinity }, BestMetric.Loss));
        Assert.Null(BestSoFar.After(null, 10, first with { Bleu = null }, BestMetric.Bleu));
    }
}
