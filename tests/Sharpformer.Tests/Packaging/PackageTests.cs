using System.Diagnostics;
using Sharpformer.Generation;
using Sharpformer.Tests.Cli;
using Sharpformer.Tests.Hardening;
using Xunit.Abstractions;

namespace Sharpformer.Tests.Packaging;

/// <summary>
/// The library as a .NET developer gets it: packed into a local NuGet feed, referenced by a new console
/// project (the package, not the project), which translates with the README's API.
/// </summary>
public sealed class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-package-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TheReadmeApiWorksFromThePackedPackage()
    {
        string feed = Path.Combine(_root, "feed"), consumer = Path.Combine(_root, "consumer");
        string model = HostileModelDirectory.Write(Path.Combine(_root, "model"));
        // A version of its own, so that no package restored earlier on this machine can stand in for this one.
        string version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Run(CliRunner.RepositoryRoot, null, "pack", "src/Sharpformer", "-c", CliRunner.Configuration, "--no-build", "-o", feed,
            $"-p:PackageVersion={version}");
        var package = Assert.Single(Directory.GetFiles(feed, "Sharpformer.*.nupkg"));
        output.WriteLine($"{Path.GetFileName(package)}: {new FileInfo(package).Length:N0} bytes");

        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Sharpformer" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        // Only the local feed and the packages already on this machine: the test needs no network.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="machine" value="{cache}" />
              </packageSources>
            </configuration>
            """);
        // The README's two examples: translate with a model directory, and start a training run.
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using Sharpformer.Generation;
            using Sharpformer.Training;

            var translator = Translator.Load(args[0]);
            Console.WriteLine(translator.Translate(args[1]));
            Console.WriteLine(string.Join("|", translator.Translate(["abc", "ponm"], DecodingOptions.Beam(2))));

            var run = TrainingRun.Start(new TrainingRunOptions
            {
                Directory = args[2], Task = "reverse", MaxLength = 12,
                Training = new TrainingOptions { Steps = 3, Warmup = 1, EvalEvery = 0 },
            });
            var done = run.Run();
            Console.WriteLine($"step {done.Step}, {Translator.Load(args[2]).Translate("abc").Length >= 0}");
            """);
        string trained = Path.Combine(_root, "trained");
        string printed = Run(consumer, Path.Combine(_root, "packages"), "run", "--", model, "hello", trained);

        var translator = Translator.Load(model);
        string expected = translator.Translate("hello") + "\n"
            + string.Join("|", translator.Translate(["abc", "ponm"], DecodingOptions.Beam(2))) + "\n"
            + "step 3, True\n";
        Assert.Equal(expected, printed.ReplaceLineEndings("\n"));
        Assert.True(File.Exists(Path.Combine(trained, "trainer-state.safetensors")));
    }

    [Fact]
    public void TheToolPackageCarriesSixPlatformsNativesAndRuns()
    {
        string feed = Path.Combine(_root, "feed"), tools = Path.Combine(_root, "tools");
        string version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Run(CliRunner.RepositoryRoot, null, "pack", "src/Sharpformer.Cli", "-c", CliRunner.Configuration, "--no-build", "-o", feed,
            $"-p:PackageVersion={version}");
        string package = Assert.Single(Directory.GetFiles(feed, "Sharpformer.Cli.*.nupkg"));
        output.WriteLine($"{Path.GetFileName(package)}: {new FileInfo(package).Length:N0} bytes");
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var platforms = zip.Entries.Select(e => e.FullName.Split('/')).Where(p => p.Length > 4 && p[3] == "runtimes")
                .Select(p => p[4]).Distinct().Order();
            Assert.Equal(["linux-arm64", "linux-musl-x64", "linux-x64", "osx", "win-arm64", "win-x64"], platforms);
        }
        Run(_root, Path.Combine(_root, "packages"), "tool", "install", "Sharpformer.Cli", "--tool-path", tools, "--add-source", feed,
            "--version", version);
        var (code, stdout, stderr) = (0, "", "");
        using (var process = Process.Start(new ProcessStartInfo(Path.Combine(tools, "sharpformer"),
                   ["viz", "positional", "--dim", "16", "--length", "20", "--out", Path.Combine(_root, "pe.png")])
               { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            (stdout, stderr) = (process.StandardOutput.ReadToEnd(), process.StandardError.ReadToEnd());
            process.WaitForExit();
            code = process.ExitCode;
        }
        Assert.True(code == 0, stderr);   // the installed tool draws, so its linux-x64 natives are there
        Assert.True(File.Exists(stdout.Trim()));
    }

    // dotnet with args in directory; a consumer restores into its own packages folder, leaving the machine's cache as it was.
    private static string Run(string directory, string? packages, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true,
            RedirectStandardError = true, UseShellExecute = false };
        if (packages is not null) info.Environment["NUGET_PACKAGES"] = packages;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(4)), $"dotnet {string.Join(' ', args)} did not finish");
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)}: {stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
