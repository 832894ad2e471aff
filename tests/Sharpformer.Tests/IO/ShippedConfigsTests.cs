using Sharpformer.Models;
using Sharpformer.NN;
using Sharpformer.Tests.Cli;

namespace Sharpformer.Tests.IO;

/// <summary>The configurations in configs/ load, and have the parameter counts configs/README.md gives for them.</summary>
public sealed class ShippedConfigsTests
{
    [Theory]
    [InlineData("bible-en-es.json", 1_442_208)]
    [InlineData("bible-en-es-quick.json", 1_442_208)]
    [InlineData("bible-en-es-8k.json", 1_958_208)]
    [InlineData("bible-ot-lora-base.json", 7_586_624)]
    [InlineData("bible-ot-lora-base-384.json", 15_504_704)]
    [InlineData("search/medium.json", 4_659_776)]
    [InlineData("search/big.json", 7_586_624)]
    [InlineData("search/big-post.json", 7_586_624)]
    [InlineData("search/base-half.json", 13_116_224)]
    [InlineData("search/deep.json", 2_883_904)]
    [InlineData("search/small-post.json", 1_442_208)]
    public void AConfigHasTheParameterCountItsReadmeGives(string file, long parameters)
    {
        var config = TransformerConfigFile.Read(Path.Combine(CliRunner.RepositoryRoot, "configs", file));
        Assert.Equal(parameters, ParameterLayout.ParameterCount(config));
    }

    [Fact]
    public void TheQuickRecipeTrainsTheWinnersModel()
    {
        string folder = Path.Combine(CliRunner.RepositoryRoot, "configs");
        Assert.Equal(TransformerConfigFile.Read(Path.Combine(folder, "bible-en-es.json")),
                     TransformerConfigFile.Read(Path.Combine(folder, "bible-en-es-quick.json")));
    }

    [Fact]
    public void EveryShippedConfigIsTestedHere()
    {
        string folder = Path.Combine(CliRunner.RepositoryRoot, "configs");
        var tested = typeof(ShippedConfigsTests).GetMethod(nameof(AConfigHasTheParameterCountItsReadmeGives))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).First()[0]).Order();
        var shipped = Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order();
        Assert.Equal(shipped, tested);
    }
}
