using System.Text;
using Sharpformer.IO;
using Sharpformer.Tensors;

namespace Sharpformer.Tests.IO;

/// <summary>Round trips, and the bytes written and read checked against the safetensors layout by hand.</summary>
public sealed class SafeTensorsFormatTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sf-safetensors-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static KeyValuePair<string, Tensor> Pair(string name, Tensor tensor) => new(name, tensor);

    private static byte[] ToBytes(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void SmallFileHasTheSpecifiedByteLayout()
    {
        var bytes = ToBytes(
            [Pair("a", Tensor.FromArray([1f, -2f], 2)), Pair("b", Tensor.Scalar(0.5f))],
            new Dictionary<string, string> { ["format"] = "pt" });

        // 138 bytes of JSON, padded with 6 spaces to 144 = 0x90, the header size.
        const string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":""" +
            """[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}""";
        byte[] expected =
        [
            0x90, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json + "      "),
            0x00, 0x00, 0x80, 0x3F, // 1.0f
            0x00, 0x00, 0x00, 0xC0, // -2.0f
            0x00, 0x00, 0x00, 0x3F, // 0.5f
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void HeaderIsPaddedToAMultipleOfEightAndUnpaddedHeadersAreRead()
    {
        var bytes = ToBytes([Pair("w", Tensor.FromArray([3f], 1))]);
        ulong headerLength = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, headerLength % 8);

        // A header with no padding at all (size 57) is also valid.
        const string json = """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        byte[] unpadded = [.. BitConverter.GetBytes((ulong)json.Length), .. Encoding.ASCII.GetBytes(json), .. BitConverter.GetBytes(3f)];
        var file = SafeTensors.Read(new MemoryStream(unpadded), "unpadded");
        Assert.Equal([3f], file["w"].ToArray());
    }

    [Fact]
    public void TensorsOfEveryRankRoundTripInOrderThroughAFile()
    {
        var rng = new Rng(7);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            Pair("scalar", Tensor.Scalar(-1.25f)),
            Pair("empty", Tensor.Zeros(0)),
            Pair("empty.2d", Tensor.Zeros(3, 0)),
            Pair("one", Tensor.Normal([5], rng)),
            Pair("two", Tensor.Normal([3, 4], rng)),
            Pair("three", Tensor.Normal([2, 3, 4], rng)),
            Pair("four", Tensor.Normal([2, 1, 3, 2], rng)),
            Pair("special",
                Tensor.FromArray([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue], 6)),
            Pair("unicode ñ/é.weight+1", Tensor.Ones(2)),
        };
        string path = Path.Combine(_dir.FullName, "model.safetensors");
        SafeTensors.Write(path, tensors);
        var file = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Key), file.Tensors.Select(t => t.Key));
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.ShapeArray(), file[name].ShapeArray());
            Assert.Equal(BitsOf(tensor), BitsOf(file[name]));
        }
        Assert.Empty(file.Metadata);
    }

    private static int[] BitsOf(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    [Fact]
    public void NonContiguousViewsAreWrittenInLogicalOrder()
    {
        var m = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var views = new List<KeyValuePair<string, Tensor>>
        {
            Pair("transposed", m.Transpose(0, 1)),
            Pair("stepped", Tensor.Arange(10).Slice(0, 1, 9, 3)),
            Pair("expanded", Tensor.FromArray([7f, 8f], 2, 1).Expand(2, 3)),
            Pair("narrowed", m.Narrow(1, 1, 2)),
        };
        Assert.All(views, v => Assert.False(v.Value.IsContiguous));
        var file = SafeTensors.Read(new MemoryStream(ToBytes(views)), "views");

        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], file["transposed"].ToArray());
        Assert.Equal([3, 2], file["transposed"].ShapeArray());
        Assert.Equal([1f, 4f, 7f], file["stepped"].ToArray());
        Assert.Equal([7f, 7f, 7f, 8f, 8f, 8f], file["expanded"].ToArray());
        Assert.Equal([2f, 3f, 5f, 6f], file["narrowed"].ToArray());
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["step"] = "1200",
            ["note"] = "quotes \" and \\ and ünïcode\n", ["empty"] = "" };
        var file = SafeTensors.Read(new MemoryStream(ToBytes([Pair("x", Tensor.Ones(1))], metadata)), "meta");
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void NoTensorsIsAValidFile()
    {
        var bytes = ToBytes([]);
        Assert.Equal("{}      ", Encoding.ASCII.GetString(bytes, 8, bytes.Length - 8));
        Assert.Empty(SafeTensors.Read(new MemoryStream(bytes), "empty").Tensors);
    }

    [Fact]
    public void F64F16AndBF16AreConvertedToFloat32()
    {
        const string json = """{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":""" +
            """[3],"data_offsets":[16,22]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[22,26]}}""";
        byte[] bytes =
        [
            .. BitConverter.GetBytes((ulong)json.Length), .. Encoding.ASCII.GetBytes(json),
            0, 0, 0, 0, 0, 0, 0xF8, 0x3F, // 1.5
            0, 0, 0, 0, 0, 0, 0x02, 0xC0, // -2.25
            0x00, 0x3C, // half 1.0
            0x00, 0xC0, // half -2.0
            0xFF, 0x7B, // half 65504 (largest finite)
            0x49, 0x40, // bfloat16 3.140625
            0x80, 0xBF, // bfloat16 -1.0
        ];
        var file = SafeTensors.Read(new MemoryStream(bytes), "mixed");
        Assert.Equal([1.5f, -2.25f], file["d"].ToArray());
        Assert.Equal([1f, -2f, 65504f], file["h"].ToArray());
        Assert.Equal([3.140625f, -1f], file["b"].ToArray());
        Assert.Equal([1, 2], file["b"].ShapeArray());
    }

    [Fact]
    public void LargeConvertedTensorSpansSeveralReadChunks()
    {
        const int n = 100_000; // 200 KB of F16: more than one 64 KB chunk
        string json = $$$"""{"h":{"dtype":"F16","shape":[{{{n}}}],"data_offsets":[0,{{{2 * n}}}]}}""";
        var data = new byte[2 * n];
        for (int i = 0; i < n; i++) BitConverter.TryWriteBytes(data.AsSpan(2 * i), (Half)(i % 2048));
        byte[] bytes = [.. BitConverter.GetBytes((ulong)json.Length), .. Encoding.ASCII.GetBytes(json), .. data];
        var values = SafeTensors.Read(new MemoryStream(bytes), "big")["h"].ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(i % 2048, values[i]);
    }

    [Fact]
    public void WriterRejectsBadNames()
    {
        var one = Tensor.Ones(1);
        var e = Assert.Throws<ArgumentException>(() => ToBytes([Pair("a", one), Pair("a", one)]));
        Assert.Contains("'a' appears twice", e.Message);
        Assert.Contains("empty name", Assert.Throws<ArgumentException>(() => ToBytes([Pair("", one)])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => ToBytes([Pair("__metadata__", one)])).Message);
    }

    [Fact]
    public void FailedWriteLeavesThePreviousFile()
    {
        string path = Path.Combine(_dir.FullName, "model.safetensors");
        SafeTensors.Write(path, [Pair("a", Tensor.Ones(2))]);
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [Pair("b", Tensor.Ones(1)), Pair("b", Tensor.Ones(1))]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(_dir.GetFiles());
    }

    [Fact]
    public void MissingNameIsAKeyNotFoundError()
    {
        var file = SafeTensors.Read(new MemoryStream(ToBytes([Pair("a", Tensor.Ones(1))])), "x");
        Assert.Contains("'b'", Assert.Throws<KeyNotFoundException>(() => file["b"]).Message);
        Assert.False(file.TryGetTensor("b", out _));
        Assert.True(file.TryGetTensor("a", out var a));
        Assert.Equal([1f], a.ToArray());
    }
}
