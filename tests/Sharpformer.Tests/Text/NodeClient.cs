using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.Text;

/// <summary>
/// Hugging Face's tokenizer libraries run by Node.js (tests/node-client/encode.mjs): the Rust library behind Python's
/// <c>tokenizers</c> through its Node binding, and the JavaScript port that transformers.js uses.
/// </summary>
internal static class NodeClient
{
    /// <summary>The two clients, as encode.mjs names them.</summary>
    public const string Rust = "tokenizers", JavaScript = "@huggingface/tokenizers";

    private static readonly string Folder = Path.Combine(CliRunner.RepositoryRoot, "tests", "node-client");

    /// <summary>The node on PATH, or null.</summary>
    private static string? Node { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, "node")).FirstOrDefault(File.Exists);

    /// <summary>Why the clients cannot run here, or null when they can.</summary>
    public static string? MissingReason =>
        Node is null ? "Node.js is not on PATH: install it (apt-get install nodejs npm; .ci/run does)"
        : !File.Exists(Path.Combine(Folder, "node_modules", Rust, "package.json"))
          || !File.Exists(Path.Combine(Folder, "node_modules", JavaScript, "package.json"))
            ? $"the npm packages are not installed: run npm ci --prefix {Folder} (.ci/run does)"
        : null;

    /// <summary>Each text's ids and their decoding (special tokens kept) by <paramref name="client"/>.</summary>
    public static (int[] Ids, string Text)[] Encode(string client, string tokenizerDirectory, IReadOnlyList<string> texts)
    {
        string work = Directory.CreateTempSubdirectory("sharpformer-node-").FullName;
        try
        {
            string input = Path.Combine(work, "input.jsonl"), output = Path.Combine(work, "output.jsonl");
            File.WriteAllLines(input, texts.Select(text => JsonSerializer.Serialize(text)), new UTF8Encoding(false));
            var info = new ProcessStartInfo(Node ?? throw new InvalidOperationException(MissingReason))
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
            };
            foreach (string a in (string[])[Path.Combine(Folder, "encode.mjs"), client, tokenizerDirectory, input, output])
                info.ArgumentList.Add(a);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
            var (exitCode, _, stderr) = CliRunner.Complete(process, TimeSpan.FromMinutes(5), ["node encode.mjs", client]);
            Assert.True(exitCode == 0, $"node encode.mjs {client} failed ({exitCode}): {stderr}");
            var results = File.ReadAllLines(output, Encoding.UTF8).Select(line =>
            {
                using var json = JsonDocument.Parse(line);
                return (json.RootElement.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32()).ToArray(),
                    json.RootElement.GetProperty("text").GetString()!);
            }).ToArray();
            Assert.Equal(texts.Count, results.Length);
            return results;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

/// <summary>A theory that needs Node.js and the npm packages: skipped, with the reason shown, where they are missing.</summary>
internal sealed class NodeClientTheoryAttribute : TheoryAttribute
{
    public NodeClientTheoryAttribute()
    {
        if (NodeClient.MissingReason is { } reason) Skip = reason;
    }
}
