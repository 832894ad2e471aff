using Sharpformer.IO;
using Sharpformer.Models;
using Sharpformer.Tests.Viz;

namespace Sharpformer.Tests.Lora;

/// <summary>A LoRA run's directory through the library's two ways in: Open adds the adapters, Load (whole models) refuses it.</summary>
public sealed class LoraDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpformer-lora-dir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void LoadRefusesAdaptersByNameAndOpenAddsThem()
    {
        string model = VizFixtures.SaveModel(VizFixtures.Translator(), _root);
        string adapted = LoraRunFixture.Write(model, Path.Combine(_root, "adapted"));
        var refused = Assert.Throws<InvalidFileException>(() => ModelDirectory.Load(adapted));
        Assert.Contains("holds LoRA adapters (adapter_config.json), not a whole model: open it with ModelDirectory.Open", refused.Message);
        Assert.False(ModelDirectory.Open(adapted).Model.HasLora);   // merged into the base's weights
        Assert.True(LoraDirectory.Open(adapted, merge: false).Model.HasLora);
        Assert.Equal(model, LoraDirectory.BaseOrSelf(adapted));
        Assert.Equal(model, LoraDirectory.BaseOrSelf(model));
    }
}
