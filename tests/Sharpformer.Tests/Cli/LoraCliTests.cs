namespace Sharpformer.Tests.Cli;

/// <summary>
/// End-to-end LoRA: a base trained through the command line, adapted to another task with `train --init-from
/// --lora-rank`; the run holds only adapters, decodes as the merged model, resumes exactly, and refuses a changed base.
/// </summary>
public sealed class LoraCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-lora-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void Ok((int ExitCode, string Stdout, string Stderr) result) => Assert.True(result.ExitCode == 0, result.Stderr);

    [Fact]
    public void AdaptersTrainAloneDecodeMergeResumeAndGuardTheirBase()
    {
        string base_ = Path.Combine(_root, "base"), adapted = Path.Combine(_root, "lora"), merged = Path.Combine(_root, "merged");
        Ok(CliRunner.Run(Timeout, "train", "--task", "reverse", "--out", base_, "--steps", "200", "--seed", "1", "--eval-every", "0",
            "--threads", "1"));
        string[] Adapt(string dir, params string[] more) => ["train", "--task", "copy", "--init-from", base_, "--lora-rank", "4",
            "--lora-targets", "all", "--lora-bias", "all", "--lora-plus-ratio", "4", "--out", dir, "--eval-every", "0",
            "--save-every", "20", "--seed", "2", "--threads", "1", .. more];
        var (code, _, stderr) = CliRunner.Run(Timeout, Adapt(adapted, "--steps", "60"));
        Assert.True(code == 0, stderr);
        Assert.Contains("adapter parameters", stderr);
        Assert.True(File.Exists(Path.Combine(adapted, "adapter.safetensors")));
        Assert.Contains("\"bias\": \"all\"", File.ReadAllText(Path.Combine(adapted, "adapter_config.json")));
        Assert.False(File.Exists(Path.Combine(adapted, "model.safetensors")), "a LoRA run holds adapters, not a model");
        Assert.True(new FileInfo(Path.Combine(adapted, "trainer-state.safetensors")).Length
                    < new FileInfo(Path.Combine(base_, "model.safetensors")).Length, "the checkpoint holds more than the adapters");

        // Resume: 40 steps, then on to 60, gives the adapters of the uninterrupted run byte for byte (LoRA+ ratio included).
        string resumed = Path.Combine(_root, "resumed");
        Ok(CliRunner.Run(Timeout, Adapt(resumed, "--steps", "40")));
        Ok(CliRunner.Run(Timeout, Adapt(resumed, "--steps", "60", "--resume")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(adapted, "adapter.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed, "adapter.safetensors")));

        // The adapter directory decodes like its merged model.
        Ok(CliRunner.Run(Timeout, "lora", "merge", "--model", adapted, "--out", merged));
        Assert.Contains("it is not a LoRA run",
            Assert.Throws<ArgumentException>(() => Sharpformer.Training.ModelCopies.MergeLora(base_, Path.Combine(_root, "x"))).Message);
        string[] inputs = ["abcdef", "ponmlk", "aabbccdd"];
        var fromAdapters = CliRunner.Run(Timeout, ["translate", "--model", adapted, .. inputs]);
        var fromMerged = CliRunner.Run(Timeout, ["translate", "--model", merged, .. inputs]);
        Ok(fromAdapters);
        Assert.Equal(fromMerged.Stdout, fromAdapters.Stdout);
        var info = CliRunner.Run(Timeout, "info", "--model", adapted);
        Ok(info);
        Assert.Contains("LoRA rank 4, α 16, targets q,k,v,o,ff", info.Stdout);
        Assert.Contains($", biases trained, base {base_}: ", info.Stdout);
        Assert.DoesNotContain("LoRA", CliRunner.Run(Timeout, "info", "--model", merged).Stdout);

        // A changed base: the adapters refuse it, in one line.
        var weights = Path.Combine(base_, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        var (badCode, _, badErr) = CliRunner.Run(Timeout, "translate", "--model", adapted, "abc");
        Assert.Equal(1, badCode);
        Assert.Contains("other weights", badErr);
        Assert.Single(badErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // Options that need another: one line, exit 1.
        var (needCode, _, needErr) = CliRunner.Run(Timeout, "train", "--task", "copy", "--out", Path.Combine(_root, "x"),
            "--lora-rank", "4");
        Assert.Equal(1, needCode);
        Assert.Contains("--init-from", needErr);
        var (plusCode, _, plusErr) = CliRunner.Run(Timeout, "train", "--task", "copy", "--out", Path.Combine(_root, "y"),
            "--init-from", base_, "--lora-plus-ratio", "16");
        Assert.Equal(1, plusCode);
        Assert.Contains("--lora-plus-ratio need --lora-rank", plusErr);
    }

    [Fact]
    public void MistakesThatWouldLoseOrGarbleWorkAreRefusedInOneLine()
    {
        string base_ = Path.Combine(_root, "base"), adapted = Path.Combine(_root, "lora");
        Ok(CliRunner.Run(Timeout, "train", "--task", "reverse", "--out", base_, "--steps", "40", "--eval-every", "0", "--threads", "1"));
        string[] Adapt(string from, string dir, params string[] more) => ["train", "--task", "copy", "--init-from", from, "--out", dir,
            "--eval-every", "0", "--seed", "2", "--threads", "1", .. more];
        Ok(CliRunner.Run(Timeout, Adapt(base_, adapted, "--lora-rank", "4", "--steps", "10")));
        byte[] baseWeights = File.ReadAllBytes(Path.Combine(base_, "model.safetensors"));

        void Refused(string expected, params string[] args)
        {
            var (code, _, stderr) = CliRunner.Run(Timeout, args);
            Assert.True(code == 1, $"exit {code}: {stderr}");
            Assert.Contains(expected, stderr);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        // Merging over the base (or a link to it) would destroy what the adapters need; over other adapters, hide the result.
        Refused("is the adapters' base model", "lora", "merge", "--model", adapted, "--out", base_);
        string link = Path.Combine(_root, "link-to-base");
        Directory.CreateSymbolicLink(link, base_);
        Refused("is the adapters' base model", "lora", "merge", "--model", adapted, "--out", link);
        string other = Directory.CreateDirectory(Path.Combine(_root, "other-adapters")).FullName;
        File.Copy(Path.Combine(adapted, "adapter_config.json"), Path.Combine(other, "adapter_config.json"));
        Refused("holds adapters", "lora", "merge", "--model", adapted, "--out", other);
        Assert.Equal(baseWeights, File.ReadAllBytes(Path.Combine(base_, "model.safetensors")));
        // A rank the weights cannot hold, and adapters on adapters: refused before the run's directory is made.
        Refused("rank 100 is more than the attention weights", Adapt(base_, Path.Combine(_root, "r100"), "--lora-rank", "100"));
        Refused("holds LoRA adapters, not a model", Adapt(adapted, Path.Combine(_root, "stacked"), "--lora-rank", "4"));
        Assert.False(Directory.Exists(Path.Combine(_root, "r100")) || Directory.Exists(Path.Combine(_root, "stacked")));
        // Resume continues the run's adapters: another rank is refused, not silently ignored; the same is fine.
        Refused("cannot change a LoRA run's adapters", Adapt(base_, adapted, "--lora-rank", "8", "--steps", "20", "--resume"));
        Refused("cannot change a LoRA run's adapters", "train", "--task", "copy", "--out", adapted, "--lora-rank", "8", "--resume");
        Refused("these differ: --dropout", "train", "--task", "copy", "--out", adapted, "--dropout", "0.3", "--resume");
        // A full run into adapters would write a model that the adapters hide; a LoRA run refused by a later check leaves
        // no directory that looks like a LoRA run.
        Refused("holds LoRA adapters", "train", "--task", "reverse", "--out", other, "--steps", "5", "--eval-every", "0");
        Refused("average-last averages whole models",
            Adapt(base_, Path.Combine(_root, "averaged"), "--lora-rank", "4", "--average-last", "2", "--save-every", "5"));
        Assert.False(Directory.Exists(Path.Combine(_root, "averaged")), "a refused run left a directory");
        // A moved base: the run says so, and continues once told where it is (the same weights), from then on by itself.
        string moved = Path.Combine(_root, "moved-base");
        Directory.Move(base_, moved);
        Refused("does not exist: if it moved, name it again", "train", "--task", "copy", "--out", adapted, "--steps", "20", "--resume");
        Ok(CliRunner.Run(Timeout, Adapt(moved, adapted, "--lora-rank", "4", "--steps", "20", "--resume")));
        Assert.Contains(moved, File.ReadAllText(Path.Combine(adapted, "adapter_config.json")));
        var expected = CliRunner.Run(Timeout, "translate", "--model", adapted, "abc");
        Ok(expected);
        // A base written relative (by hand) is relative to the adapter directory, not to where the command runs.
        string config = Path.Combine(adapted, "adapter_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace(moved, "../moved-base"));
        Assert.Equal(expected.Stdout, CliRunner.Run(Timeout, "translate", "--model", adapted, "abc").Stdout);
        // Adapters holding a NaN would decode to garbage: refused with the tensor's name.
        var adapters = Sharpformer.IO.SafeTensors.Read(Path.Combine(adapted, "adapter.safetensors"));
        var first = adapters.Tensors[0];
        first.Value.AsSpan()[0] = float.NaN;
        Sharpformer.IO.SafeTensors.Write(Path.Combine(adapted, "adapter.safetensors"), adapters.Tensors);
        Refused($"its tensor {first.Key} holds a NaN or an infinity", "translate", "--model", adapted, "abc");
        // A LoRA run killed before its first checkpoint (its adapter config and tokenizer written, nothing else) starts again
        // from its adapter config on --resume: its base and adapters are there, so --init-from is not needed.
        string restarted = Directory.CreateDirectory(Path.Combine(_root, "restarted")).FullName;
        foreach (string file in (string[])["adapter_config.json", "tokenizer.json"])
            File.Copy(Path.Combine(adapted, file), Path.Combine(restarted, file));
        Ok(CliRunner.Run(Timeout, "train", "--task", "copy", "--out", restarted, "--lora-rank", "4", "--steps", "5", "--eval-every", "0",
            "--threads", "1", "--resume"));
        Assert.True(File.Exists(Path.Combine(restarted, "adapter.safetensors")));
    }
}
