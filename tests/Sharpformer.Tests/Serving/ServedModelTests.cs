using Sharpformer.Server;
using Sharpformer.Tests.Viz;

namespace Sharpformer.Tests.Serving;

/// <summary>Opening a model to serve: by directory (named after it), as "NAME=DIR", or by name and directory from C#.</summary>
public sealed class ServedModelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-served-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void AModelIsNamedAfterItsFolderOrAsGiven()
    {
        string model = VizFixtures.SaveModel(VizFixtures.Translator(), _root);
        Assert.Equal("model", ServedModel.Open(model).Name);
        var named = ServedModel.Open("en-es", model);
        Assert.Equal(("en-es", "encoder-decoder"), (named.Name, named.Kind));
        Assert.Equal(named.ConfigJson, ServedModel.Open($"en-es={model}").ConfigJson);
        Assert.Contains("model name 'en es' must be letters",
            Assert.Throws<ArgumentException>(() => ServedModel.Open("en es", model)).Message);
        string odd = Path.Combine(_root, "lr=3e-4");
        Directory.Move(model, odd);
        Assert.Contains("(give NAME=DIR)", Assert.Throws<ArgumentException>(() => ServedModel.Open(odd)).Message);
        Assert.Equal("m", ServedModel.Open($"m={odd}").Name);
    }
}
