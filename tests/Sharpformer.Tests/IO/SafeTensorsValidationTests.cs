using System.Text;
using Sharpformer.IO;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.IO;

/// <summary>Malformed files are rejected with an <see cref="InvalidFileException"/> that names the file and the problem.</summary>
public sealed class SafeTensorsValidationTests
{
    private const string Source = "bad.safetensors";

    /// <summary>An 8-byte little-endian size, the header text, then <paramref name="dataLength"/> zero bytes.</summary>
    private static byte[] Craft(string header, int dataLength = 0) =>
        Craft(Encoding.UTF8.GetBytes(header), dataLength);

    private static byte[] Craft(byte[] header, int dataLength = 0) =>
        [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[dataLength]];

    private static InvalidFileException Rejects(byte[] bytes, params string[] fragments)
    {
        var e = Assert.Throws<InvalidFileException>(() => SafeTensors.Read(new MemoryStream(bytes), Source));
        Assert.Contains(Source, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    private static string Entry(string dtype = "\"F32\"", string shape = "[2]", string offsets = "[0,8]") =>
        $$"""{"dtype":{{dtype}},"shape":{{shape}},"data_offsets":{{offsets}}}""";

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    public void FileShorterThanTheSizeField(int length) =>
        Rejects(new byte[length], $"{length} bytes long", "shorter than the 8-byte header size");

    [Fact]
    public void HeaderSizeBeyondTheFile() =>
        Rejects([.. BitConverter.GetBytes(100UL), .. "{}"u8], "header size 100", "more than the 2 bytes");

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void HeaderSizeBeyondTheCapIsRejectedWithoutAllocating(ulong size)
    {
        byte[] bytes = [.. BitConverter.GetBytes(size), .. "{}      "u8];
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(bytes, $"header size {size}", "exceeds the limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void HeaderThatIsNotUtf8() =>
        Rejects(Craft([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "not valid UTF-8");

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"a\":}", "not valid JSON")]
    [InlineData("{} {}", "not valid JSON")]
    [InlineData("[]", "is a JSON array, not an object")]
    [InlineData("\"x\"", "is a JSON string, not an object")]
    [InlineData("{\"a\":5}", "tensor 'a' is described by a JSON number, not an object")]
    [InlineData("{\"a\":[1]}", "tensor 'a' is described by a JSON array")]
    [InlineData("{\"\":{}}", "empty name")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"extra\":1}}", "tensor 'a' has unknown key 'extra'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", "key 'dtype' twice")]
    [InlineData("{\"a\":{\"shape\":[0],\"data_offsets\":[0,0]}}", "tensor 'a' has no 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}}", "tensor 'a' has no 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[0]}}", "tensor 'a' has no 'data_offsets'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}," +
        "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", "names 'a' twice")]
    [InlineData("{\"__metadata__\":[]}", "'__metadata__' is a JSON array, not an object")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "value of 'k' is a JSON number, not a string")]
    [InlineData("{\"__metadata__\":{\"k\":null}}", "value of 'k' is a JSON null, not a string")]
    [InlineData("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", "names 'k' twice")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", "names '__metadata__' twice")]
    [InlineData("{\"a\\ud800\":{}}", "not valid Unicode text")]
    public void MalformedHeaderStructure(string header, string fragment) => Rejects(Craft(header), fragment);

    [Theory]
    [InlineData("\"I64\"", "unsupported dtype 'I64'")]
    [InlineData("\"U8\"", "unsupported dtype 'U8'")]
    [InlineData("\"f32\"", "unsupported dtype 'f32'")]
    [InlineData("32", "dtype that is a JSON number, not a string")]
    public void BadDType(string dtype, string fragment) => Rejects(Craft($"{{\"a\":{Entry(dtype: dtype)}}}", 8), "tensor 'a'", fragment);

    [Theory]
    [InlineData("[-1]", "dimension 0 = '-1'")]
    [InlineData("[2,1.5]", "dimension 1 = '1.5'")]
    [InlineData("[2e0]", "dimension 0 = '2e0'")]
    [InlineData("[\"2\"]", "dimension 0 = '\"2\"'")]
    [InlineData("[4000000000]", "dimension 0 = '4000000000'")]
    [InlineData("2", "shape that is a JSON number, not an array")]
    public void BadShape(string shape, string fragment) => Rejects(Craft($"{{\"a\":{Entry(shape: shape)}}}", 8), "tensor 'a'", fragment);

    [Theory]
    [InlineData("[3]", "need 12 bytes", "span 8")]
    [InlineData("[]", "need 4 bytes")]
    [InlineData("[2,0]", "need 0 bytes")]
    [InlineData("[100000,100000]", "need 40000000000 bytes")]
    [InlineData("[2147483647,2147483647,2147483647]", "too large")]
    public void ShapeDisagreesWithOffsets(string shape, params string[] fragments)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(Craft($"{{\"a\":{Entry(shape: shape)}}}", 8), ["tensor 'a'", .. fragments]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Theory]
    [InlineData("[0]", "not an array of two integers")]
    [InlineData("[0,8,8]", "not an array of two integers")]
    [InlineData("{}", "not an array of two integers")]
    [InlineData("[-8,0]", "not two non-negative integers")]
    [InlineData("[0,8.0]", "not two non-negative integers")]
    [InlineData("[0,\"8\"]", "not two non-negative integers")]
    [InlineData("[0,18446744073709551615]", "not two non-negative integers")]
    [InlineData("[8,0]", "[8, 0] that begin after they end")]
    public void BadOffsets(string offsets, string fragment) =>
        Rejects(Craft($"{{\"a\":{Entry(offsets: offsets)}}}", 8), "tensor 'a'", fragment);

    [Fact]
    public void OffsetsBeyondTheDataSection() =>
        Rejects(Craft($"{{\"a\":{Entry(offsets: "[8,16]")}}}", 8), "tensor 'a'", "[8, 16] beyond the end of the data section (8 bytes)");

    [Fact]
    public void OverlappingTensors() =>
        Rejects(Craft($"{{\"a\":{Entry(offsets: "[0,8]")},\"b\":{Entry(offsets: "[4,12]")}}}", 12),
            "tensor 'b' (bytes [4, 12]) overlaps tensor 'a' (bytes [0, 8])");

    [Fact]
    public void SameRangeTwiceIsAnOverlap() =>
        Rejects(Craft($"{{\"a\":{Entry()},\"b\":{Entry()}}}", 8), "overlaps");

    [Fact]
    public void GapBetweenTensors() =>
        Rejects(Craft($"{{\"a\":{Entry(offsets: "[0,8]")},\"b\":{Entry(offsets: "[12,20]")}}}", 20),
            "bytes [8, 12) of the data section belong to no tensor");

    [Fact]
    public void BytesAfterTheLastTensor() =>
        Rejects(Craft($"{{\"a\":{Entry()}}}", 9), "bytes [8, 9) of the data section belong to no tensor");

    [Fact]
    public void DataWithNoTensors() => Rejects(Craft("{}", 4), "bytes [0, 4)");

    [Fact]
    public void TensorsInAnyOrderOfOffsetsAreAccepted()
    {
        var bytes = Craft(
            $"{{\"late\":{Entry(shape: "[1]", offsets: "[8,12]")},\"none\":{Entry(shape: "[0]", offsets: "[8,8]")},\"early\":{Entry()}}}",
            12);
        var file = SafeTensors.Read(new MemoryStream(bytes), Source);
        Assert.Equal(["late", "none", "early"], file.Tensors.Select(t => t.Key));
    }

    [Fact]
    public void ReadingAPathNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sf-bad-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, Craft("[]"));
        try
        {
            Assert.Contains(path, Assert.Throws<InvalidFileException>(() => SafeTensors.Read(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] SmallFile()
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream,
            [new("w", Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3)), new("b", Tensor.FromArray([0.5f, -0.5f], 2)),
                new("s", Tensor.Scalar(9f))],
            new Dictionary<string, string> { ["format"] = "pt" });
        return stream.ToArray();
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        var bytes = SmallFile();
        for (int cut = 0; cut < bytes.Length; cut++)
            Assert.Throws<InvalidFileException>(() => SafeTensors.Read(new MemoryStream(bytes[..cut]), Source));
        Assert.Equal(3, SafeTensors.Read(new MemoryStream(bytes), Source).Tensors.Count);
    }

    [Fact]
    public void RandomHeaderCorruptionOnlyEverGivesInvalidData()
    {
        var original = SmallFile();
        int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
        var random = new Random(20240601);
        int rejected = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            var bytes = (byte[])original.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the JSON; now and then the size field.
                int at = random.Next(10) == 0 ? random.Next(8) : random.Next(8, headerEnd);
                bytes[at] = random.Next(2) == 0 ? (byte)(bytes[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
            }
            try
            {
                SafeTensors.Read(new MemoryStream(bytes), Source);
            }
            catch (InvalidFileException)
            {
                rejected++;
            }
        }
        Assert.True(rejected > 300, $"only {rejected} of 600 corruptions were rejected");
    }
}
