using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sharpformer.Tests.Cli;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Packaging;

/// <summary>
/// The C# an application would copy from the README and the docs compiles against the library as it is: a snippet that
/// calls a type, member, overload or parameter the library no longer has fails here. Snippets may use names they do not
/// declare (a <c>lines</c> list, a <c>model</c>), so "the name does not exist" is the one error allowed. Excerpts of the
/// library's own source (they declare members, or start by naming the file or member they come from) are not compiled.
/// </summary>
public sealed partial class DocumentedCodeTests(ITestOutputHelper output)
{
    private const string UndeclaredName = "CS0103";

    [Fact]
    public void EveryApplicationSnippetCompilesAgainstTheLibrary()
    {
        var snippets = Snippets().ToList();
        Assert.True(snippets.Count >= 12, $"only {snippets.Count} snippets found: the search is broken");
        var problems = new List<string>();
        foreach (var (file, line, code) in snippets)
        {
            var errors = Compile(code).Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != UndeclaredName).ToList();
            foreach (var error in errors)
                problems.Add($"{file}:{line + error.Location.GetLineSpan().StartLinePosition.Line}: {error.Id} {error.GetMessage()}");
        }
        output.WriteLine($"{snippets.Count} snippets compiled");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void ACallTheLibraryDoesNotHaveIsCaught()
    {
        Assert.Contains(Compile("var t = Translator.Load(\"x\"); t.TranslateAll(lines);"),
                        d => d.Severity == DiagnosticSeverity.Error && d.Id == "CS1061");
        Assert.DoesNotContain(Compile("var t = Translator.Load(\"x\"); t.Translate(lines);"),
                              d => d.Severity == DiagnosticSeverity.Error && d.Id != UndeclaredName);
    }

    // The ```csharp blocks of the README and docs/ that an application would write (the fence's line, the code: the code's
    // line n, counted from 1 after the one line of usings, is the file's fence line + n).
    private static IEnumerable<(string File, int Line, string Code)> Snippets()
    {
        string root = CliRunner.RepositoryRoot;
        var files = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md")
            .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal));
        foreach (string file in files)
        {
            string text = File.ReadAllText(Path.Combine(root, file)).ReplaceLineEndings("\n");
            foreach (Match block in CSharpBlock().Matches(text))
            {
                string code = block.Groups[1].Value;
                if (SourceExcerpt().IsMatch(code)) continue;
                yield return (file, text[..block.Index].Count(c => c == '\n') + 1, code);   // the fence's line
            }
        }
    }

    private static IEnumerable<Diagnostic> Compile(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(GlobalUsings + code, new CSharpParseOptions(LanguageVersion.Preview));
        var compilation = CSharpCompilation.Create("Snippet", [tree], References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true,
                                         nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics();
    }

    // What a project with implicit usings and the library's namespaces has (one line: snippet line numbers stay right).
    private const string GlobalUsings = "using System; using System.Collections.Generic; using System.IO; using System.Linq; " +
        "using System.Threading.Tasks; using System.Runtime.Intrinsics; using System.Runtime.Intrinsics.X86; using Xunit; " +
        "using Sharpformer.Autograd; using Sharpformer.Data; using Sharpformer.Evaluation; using Sharpformer.Generation; " +
        "using Sharpformer.Kernels; using Sharpformer.Models; using Sharpformer.NN; using Sharpformer.Optim; " +
        "using Sharpformer.Tensors; using Sharpformer.Text; using Sharpformer.Training;\n";

    // The framework, the library and what the tests reference (ONNX Runtime, xunit).
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        _ = typeof(Sharpformer.Server.TranslationServer);
        _ = typeof(Sharpformer.Viz.Pictures);
        _ = typeof(Microsoft.ML.OnnxRuntime.InferenceSession);
        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location);
        return [.. platform.Concat(loaded).DistinctBy(Path.GetFileName).Select(path => MetadataReference.CreateFromFile(path))];
    });

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    // A member declaration, or a first line naming where the code comes from ("// Tensor.Graph.cs", "// Encoder.Forward — …").
    [GeneratedRegex(@"^\s*(public|private|internal|protected)\s|\A//\s*[\w.]+(\.cs\b|\s—|,)", RegexOptions.Multiline)]
    private static partial Regex SourceExcerpt();
}
