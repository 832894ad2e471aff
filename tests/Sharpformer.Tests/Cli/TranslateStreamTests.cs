using System.Globalization;
using System.Text.Json;
using Sharpformer.Generation;
using Sharpformer.Tests.Hardening;

namespace Sharpformer.Tests.Cli;

/// <summary>
/// `sharpformer translate` as a filter: standard input answered line by line while it is still open, n-best lists,
/// JSON lines, and warnings for truncated or undecodable input.
/// </summary>
public sealed class TranslateStreamTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _model = HostileModelDirectory.Write(Directory.CreateTempSubdirectory("sharpformer-stream-").FullName);

    public void Dispose() => Directory.Delete(_model, recursive: true);

    [Fact]
    public async Task EachLineIsAnsweredBeforeTheNextOneIsTyped()
    {
        var translator = Translator.Load(_model);
        using var process = CliRunner.Start("translate", "--model", _model);
        foreach (string line in new[] { "abc", "ponm", "", "dcba" })
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
            string? answer = await process.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
            Assert.Equal(translator.Translate(line), answer);
        }
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(Timeout));
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public void APipedFileGivesTheSameLinesAsTheLibrary()
    {
        string[] lines = [.. Enumerable.Range(0, 75).Select(i => new string((char)('a' + i % 16), 1 + i % 9) + "ab")];
        var (code, stdout, stderr) = CliRunner.RunWithInput(Timeout, string.Join('\n', lines) + "\n",
            "translate", "--model", _model, "--sample", "--temperature", "2", "--seed", "4");
        Assert.True(code == 0, stderr);
        var expected = Translator.Load(_model).Translate(lines, DecodingOptions.Sample(new SamplingOptions(Temperature: 2f), seed: 4));
        Assert.Equal(expected, stdout.Split('\n')[..lines.Length]);
    }

    [Fact]
    public void NBestListsPrintEachHypothesisWithItsScore()
    {
        var (code, stdout, stderr) = CliRunner.Run(Timeout, "translate", "--model", _model, "--beam", "4", "--nbest", "3", "abc", "dcba");
        Assert.True(code == 0, stderr);
        var expected = Translator.Load(_model).TranslateNBest(["abc", "dcba"], DecodingOptions.Beam(4), 3);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(row => row.Split(" ||| ")).ToArray();
        Assert.Equal(expected.Sum(list => list.Count), rows.Length);
        var flat = expected.SelectMany((list, i) => list.Select(t => (i, t))).ToArray();
        for (int r = 0; r < rows.Length; r++)
        {
            Assert.Equal(flat[r].i.ToString(CultureInfo.InvariantCulture), rows[r][0]);
            Assert.Equal(flat[r].t.Text, rows[r][1]);
            Assert.Equal(flat[r].t.Score, float.Parse(rows[r][2], CultureInfo.InvariantCulture), 3e-4f);
        }
    }

    [Fact]
    public void JsonLinesHoldTheSourceTokenCountsAndScores()
    {
        string longText = new('b', 40);
        var (code, stdout, stderr) = CliRunner.RunWithInput(Timeout, "abc\n" + longText + "\n\n",
            "translate", "--model", _model, "--json", "--beam", "2", "--nbest", "2");
        Assert.True(code == 0, stderr);
        var expected = Translator.Load(_model).TranslateDetailed(["abc", longText, ""], DecodingOptions.Beam(2), nBest: 2);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            Assert.Equal(expected[i].Source, root.GetProperty("source").GetString());
            Assert.Equal(expected[i].SourceTokens, root.GetProperty("source_tokens").GetInt32());
            Assert.Equal(expected[i].TruncatedTokens, root.GetProperty("truncated_tokens").GetInt32());
            var translations = root.GetProperty("translations").EnumerateArray().ToArray();
            Assert.Equal(expected[i].Hypotheses.Select(h => h.Text), translations.Select(t => t.GetProperty("text").GetString()));
            Assert.Equal(expected[i].Hypotheses.Select(h => h.Tokens.Length), translations.Select(t => t.GetProperty("tokens").GetInt32()));
            Assert.Equal(expected[i].Hypotheses.Select(h => h.Ended), translations.Select(t => t.GetProperty("ended").GetBoolean()));
            for (int h = 0; h < translations.Length; h++)
                Assert.Equal(expected[i].Hypotheses[h].Score, translations[h].GetProperty("score").GetSingle(), 1e-4f);
        }
        Assert.Equal(8, expected[1].TruncatedTokens);
        Assert.Contains("line 2 has 40 tokens; the model reads the first 32", stderr);
    }

    [Theory]
    [InlineData("--nbest 2", "--nbest needs --beam K")]
    [InlineData("--nbest 5 --beam 4", "--nbest 5 must be at most the beam size 4")]
    public void NBestNeedsABeamWideEnough(string flags, string message)
    {
        var (code, _, stderr) = CliRunner.Run(Timeout, ["translate", "--model", _model, .. flags.Split(' '), "abc"]);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void InvalidUtf8OnStandardInputIsAnErrorNamingTheLine()
    {
        using var process = CliRunner.Start("translate", "--model", _model);
        process.StandardInput.BaseStream.Write("abc\nabc\nabc\n"u8);
        process.StandardInput.BaseStream.Write([(byte)'a', 0xC3, (byte)'b', (byte)'\n']);   // 0xC3 starts a 2-byte sequence
        process.StandardInput.Close();
        var (code, stdout, stderr) = CliRunner.Complete(process, Timeout, ["translate"]);
        Assert.Equal(1, code);
        Assert.Equal("standard input line 4 is not valid UTF-8", stderr.Trim().Replace("sharpformer: ", ""));
        Assert.Equal(3, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
