using System.CommandLine;
using Sharpformer.Cli.Benchmarks;
using Sharpformer.Tensors;

namespace Sharpformer.Cli.Commands;

/// <summary><c>sharpformer bench ...</c>: throughput measurements.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Measure throughput.")
    {
        CreateGemm(),
        CreateTokenizer(),
        CreateDecode(),
        CreateTrain(),
        CreateAttention(),
        CreateAllReduce(),
        CreateServe(),
    };

    private static Command CreateServe()
    {
        var model = new Option<string>("--model")
        {
            HelpName = "DIR",
            Description = "Model directory of a translation model.",
            Required = true,
        };
        var data = new Option<string?>("--data")
        {
            HelpName = "FILE",
            Description = "Sentences to send: a text file, one per line, or a TSV file's sources [default: bible-en-es test sources].",
        };
        var sentences = CliOptions.Int("--sentences", "Distinct sentences sent in turn (and translated offline).", 256);
        var clients = CliOptions.IntList("--clients", "Concurrent clients per load level, comma-separated.", [1, 8, 64]);
        var seconds = CliOptions.Int("--seconds", "Seconds per load level (at most 300).", 30);
        var maxBatch = CliOptions.Int("--max-batch", "The server's --max-batch (and the offline batch size).", 32);
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var command = new Command("serve",
            "Load `sharpformer serve` on loopback with concurrent clients posting single sentences: requests/s, p50/p99 latency, " +
            "errors, and throughput as a share of offline batch translation of the same sentences.")
        {
            model, data, sentences, clients, seconds, maxBatch, threads, json,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            Kernels.Parallelism.Threads = result.GetValue(threads);
            if (result.GetValue(seconds) > 300) throw new ArgumentException("--seconds must be at most 300");
            if (result.GetValue(clients)!.Values.Any(c => c > 256)) throw new ArgumentException("--clients must each be at most 256");
            var texts = (result.GetValue(data) is { } file
                    ? file.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)
                        ? Data.TsvReader.Read(file).Pairs.Select(pair => pair.Source)
                        : TextInputs.ReadFile(file)
                    : Data.Corpora.BibleVerses("bible-en-es", Data.Split.Test).Select(v => v.English))
                .Where(text => text.Length > 0).Distinct().Take(result.GetValue(sentences)).ToList();
            if (texts.Count == 0) throw new ArgumentException("no sentences to send");
            var report = ServeLoadBenchmark.Run(result.GetValue(model)!, texts, result.GetValue(clients)!.Values, result.GetValue(seconds),
                result.GetValue(maxBatch), result.GetValue(threads), Console.Error);
            if (result.GetValue(json))
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CliJson.Default.ServeLoadReport));
            else report.WriteTable(Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command CreateAllReduce()
    {
        var sizes = CliOptions.IntList("--mib", "Message sizes in MiB, comma-separated (big's gradients are 36.8 MiB).", [1, 4, 16, 64]);
        var rounds = CliOptions.Int("--rounds", "Timed rounds per size (the median is reported).", 5);
        var json = CliOptions.Json();
        var command = new Command("allreduce",
            "Sum of float32 over the ranks of an MPI job (run it as: mpirun -np 2 sharpformer bench allreduce): time and bandwidth.")
        {
            sizes, rounds, json,
        };
        command.SetAction(result => MpiJob.Run(job =>   // an error on one rank aborts the job, as in training
        {
            var world = job
                ?? throw new ArgumentException("bench allreduce measures an MPI job: run it as mpirun -np 2 sharpformer bench allreduce");
            var report = AllReduceBenchmark.Run(world, result.GetValue(sizes)!.Values, result.GetValue(rounds));
            if (world.Rank != 0) return 0;
            if (result.GetValue(json))
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CliJson.Default.AllReduceReport));
            else report.WriteTable(Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command CreateAttention()
    {
        var seq = CliOptions.IntList("--seq", "Sequence lengths (queries = keys), comma-separated.", [512, 1024, 2048, 4096]);
        var causal = new Option<bool>("--causal") { Description = "Causal attention (a decoder's self-attention)." };
        var threads = CliOptions.Threads();
        var rounds = CliOptions.Int("--rounds", "Alternating rounds per op and length (the median is reported).", 3);
        var json = CliOptions.Json();
        var command = new Command("attention",
            "Attention forward + backward, tiled (flash) against the op that stores the scores: time and memory per length.")
        {
            seq, causal, threads, rounds, json,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            Kernels.Parallelism.Threads = result.GetValue(threads);
            var report = AttentionBenchmark.Run(result.GetValue(seq)!.Values, result.GetValue(causal), result.GetValue(threads),
                result.GetValue(rounds), Console.Error);
            if (result.GetValue(json))
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CliJson.Default.AttentionReport));
            else report.WriteTable(Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command CreateTrain()
    {
        var config = new Option<string>("--config")
        {
            Description = "Reference model size (train's --preset): big or small.",
            DefaultValueFactory = _ => "big"
        };
        config.AcceptOnlyFromAmong("big", "small");
        var threads = CliOptions.Threads();
        var steps = CliOptions.Int("--steps", "Timed training steps (after 3 warm-up steps).", 20);
        var json = CliOptions.Json();
        var profile = new Option<bool>("--profile") { Description = "Also print the time per op, forward and backward, to stderr." };
        var attention = new Option<string>("--attention")
        {
            Description = "Attention op: auto (tiled past 128 keys, the default), flash (always tiled) or reference (stores the scores).",
            DefaultValueFactory = _ => "auto",
        };
        attention.AcceptOnlyFromAmong("auto", "flash", "reference");
        var precision = new Option<string>("--precision")
        {
            Description = "fp32, bf16 (mixed precision) or both (steps alternate; ratios printed).",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "bf16", "both");
        var tensorParallel = CliOptions.Int("--tensor-parallel",
            "Under mpirun -np N: split the model over the N ranks instead of the batch (tensor parallelism).", 1);
        var command = new Command("train", "Training-step throughput on a reference configuration, in target tokens per second.")
        {
            config, threads, steps, json, profile, attention, precision, tensorParallel
        };
        command.SetAction(result => MpiJob.Run(job =>
        {
            var (parallel, split) = MpiJob.Plan(job, result.GetValue(tensorParallel));
            Kernels.Parallelism.Threads = result.GetValue(threads);
            NN.ScaledDotProductAttention.Kernel = Enum.Parse<NN.AttentionKernel>(result.GetValue(attention)!, ignoreCase: true);
            Precision[] precisions = result.GetValue(precision) switch
            {
                "both" => [Precision.Float32, Precision.BFloat16],
                "bf16" => [Precision.BFloat16],
                _ => [Precision.Float32],
            };
            bool leader = job?.Rank is null or 0;   // under mpirun, rank 0 reports
            var reports = TrainBenchmark.Run(result.GetValue(config)!, result.GetValue(threads), result.GetValue(steps), precisions,
                leader ? Console.Error : TextWriter.Null, result.GetValue(profile), parallel, split);
            if (!leader) return 0;
            foreach (var report in reports)
                if (result.GetValue(json))
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CliJson.Default.TrainReport));
                else report.WriteTable(Console.Out);
            if (reports.Length == 2 && !result.GetValue(json)) TrainReport.WriteRatios(reports[0], reports[1], Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command CreateTokenizer()
    {
        var input = new Option<string[]>("--input")
        {
            HelpName = "FILE",
            Description = "Text files (each line a text) or .tsv files (each field a text); trained on together, measured one by one.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocabSize = CliOptions.Int("--vocab-size", "Vocabulary size.", 8000);
        var json = CliOptions.Json();
        var command = new Command("tokenizer", "Byte-level BPE: training time, encoding MB/s on one thread, bytes per token.")
        {
            input, vocabSize, json
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            var report = TokenizerBenchmark.Run(result.GetValue(input)!, result.GetValue(vocabSize), Console.Error);
            if (result.GetValue(json)) Console.WriteLine(report.ToJson());
            else report.WriteTable(Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command CreateDecode()
    {
        var config = new Option<string>("--config")
        {
            Description = "Reference model size (train's --preset): big or small.",
            DefaultValueFactory = _ => "big"
        };
        config.AcceptOnlyFromAmong("big", "small");
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var command = new Command("decode",
            "Greedy decoding of 32 tokens at batch 1 (source length 32): with the key/value cache, float32 and int8 weights " +
            "alternating, and without it.")
        {
            config,
            threads,
            json,
        };
        command.SetAction(result =>
        {
            Kernels.Parallelism.Threads = result.GetValue(threads);
            var report = DecodeBenchmark.Run(result.GetValue(config)!, result.GetValue(threads), Console.Error);
            if (result.GetValue(json)) Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CliJson.Default.DecodeReport));
            else report.WriteTable(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command CreateGemm()
    {
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();

        var command = new Command("gemm", "Single-precision GEMM throughput (GFLOP/s) on square and Transformer shapes.")
        {
            threads,
            json,
        };
        command.SetAction(result =>
        {
            var report = GemmBenchmark.Run(result.GetValue(threads), Console.Error);
            if (result.GetValue(json))
                Console.WriteLine(report.ToJson());
            else
                report.WriteTable(Console.Out);
            return 0;
        });
        return command;
    }
}
